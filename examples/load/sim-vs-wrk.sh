#!/usr/bin/env bash
# Whole-system load comparison: `cwmp2usp sim` vs wrk, same session shape
# (Inform, then empty POST, on a new TCP connection), same trivial ACS, same
# CPU. The ACS is pinned to core 1, the load generator to core 0, and the two
# tools alternate ROUNDS times so drift in the machine hits both alike.
# Prints each run and the medians; traffic goes to 127.0.0.1 only and every
# run is bounded by SECONDS.
#
#   examples/load/sim-vs-wrk.sh [ROUNDS] [SECONDS] [CONNECTIONS]
set -euo pipefail
cd "$(dirname "$0")/../.."
ROUNDS=${1:-5}
SECONDS_PER_RUN=${2:-8}
CONNS=${3:-64}
PORT=17547

command -v wrk >/dev/null || { echo "wrk is missing: apt-get install -y wrk" >&2; exit 1; }
cargo build -q --release -p gateway -p sim --example trivial_acs --bin cwmp2usp

taskset -c 1 target/release/examples/trivial_acs 127.0.0.1:$PORT >/dev/null &
ACS=$!
trap 'kill $ACS 2>/dev/null' EXIT
sleep 1

# The genieacs-sim capture's Inform body, for wrk.
INFORM=$(mktemp)
awk 'b{print} /^$/{b=1}' tests/fixtures/cwmp/genieacs-sim/Inform-00001-000000.txt > "$INFORM"

wrk_runs=(); sim_runs=()
for r in $(seq "$ROUNDS"); do
  w=$(INFORM_FILE=$INFORM taskset -c 0 wrk -t1 -c"$CONNS" -d"${SECONDS_PER_RUN}s" \
        -s examples/load/wrk-session.lua "http://127.0.0.1:$PORT/" | sed -n 's/^wrk: .* \([0-9]*\) sessions\/s$/\1/p')
  s=$(taskset -c 0 target/release/cwmp2usp sim --threads 1 --acs "http://127.0.0.1:$PORT/" \
        --count "$CONNS" --interval 0 --no-bootstrap --progress 0 --duration "$SECONDS_PER_RUN" 2>/dev/null \
      | tail -1 | sed -n 's/.*"sessions_per_second":\([0-9.]*\).*/\1/p')
  echo "round $r: wrk $w sessions/s, sim $s sessions/s"
  wrk_runs+=("$w"); sim_runs+=("$s")
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}'; }
mw=$(median "${wrk_runs[@]}"); ms=$(median "${sim_runs[@]}")
echo "median: wrk $mw sessions/s, sim $ms sessions/s, ratio $(awk -v s="$ms" -v w="$mw" 'BEGIN{printf "%.2f", s/w}')"
rm -f "$INFORM"
