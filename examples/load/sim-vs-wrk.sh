#!/usr/bin/env bash
# Whole-system load comparison: `cwmp2usp sim` vs wrk, same session shape
# (Inform, then empty POST, on a new TCP connection), same trivial ACS, same
# CPU. The ACS is pinned to core 1, the load generator to core 0, and the two
# tools alternate ROUNDS times so drift in the machine hits both alike.
# Prints each run and the medians; traffic goes to 127.0.0.1 only and every
# run is bounded by SECONDS.
#
# Two figures per tool: sessions per wall-clock second, and sessions per
# CPU-second the tool itself used (user + system, from /usr/bin/time). The
# second is the steadier one on a shared VM: it does not move when the
# machine is slower for a while, since both sides of it slow down together.
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

CPU=$(mktemp)
# Sessions per CPU-second: rate * duration / (user + system seconds).
per_cpu() { awk -v r="$1" -v d="$SECONDS_PER_RUN" '{printf "%.0f", r * d / ($1 + $2)}' "$CPU"; }

wrk_runs=(); sim_runs=(); wrk_cpu=(); sim_cpu=()
for r in $(seq "$ROUNDS"); do
  w=$(INFORM_FILE=$INFORM /usr/bin/time -f "%U %S" -o "$CPU" taskset -c 0 wrk -t1 -c"$CONNS" -d"${SECONDS_PER_RUN}s" \
        -s examples/load/wrk-session.lua "http://127.0.0.1:$PORT/" | sed -n 's/^wrk: .* \([0-9]*\) sessions\/s$/\1/p')
  wc=$(per_cpu "$w")
  s=$(/usr/bin/time -f "%U %S" -o "$CPU" taskset -c 0 target/release/cwmp2usp sim --threads 1 --acs "http://127.0.0.1:$PORT/" \
        --count "$CONNS" --interval 0 --no-bootstrap --progress 0 --duration "$SECONDS_PER_RUN" 2>/dev/null \
      | tail -1 | sed -n 's/.*"sessions_per_second":\([0-9.]*\).*/\1/p')
  sc=$(per_cpu "$s")
  echo "round $r: wrk $w sessions/s ($wc per CPU-s), sim $s sessions/s ($sc per CPU-s)"
  wrk_runs+=("$w"); sim_runs+=("$s"); wrk_cpu+=("$wc"); sim_cpu+=("$sc")
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}'; }
ratio() { awk -v s="$1" -v w="$2" 'BEGIN{printf "%.2f", s/w}'; }
mw=$(median "${wrk_runs[@]}"); ms=$(median "${sim_runs[@]}")
cw=$(median "${wrk_cpu[@]}"); cs=$(median "${sim_cpu[@]}")
echo "median: wrk $mw sessions/s, sim $ms sessions/s, ratio $(ratio "$ms" "$mw")"
echo "median per CPU-second: wrk $cw, sim $cs, ratio $(ratio "$cs" "$cw")"
rm -f "$INFORM" "$CPU"
