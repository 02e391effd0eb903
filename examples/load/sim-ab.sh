#!/usr/bin/env bash
# A/B of two simulator binaries against wrk, same session shape and cores as
# sim-vs-wrk.sh (trivial ACS on core 1, load tool on core 0), alternating
# wrk, BASELINE and this tree's build each round. Prints sessions/s, sessions
# per CPU-second and the user/system seconds of each run, so user and kernel
# time per session can be compared directly. Traffic stays on 127.0.0.1.
#
#   examples/load/sim-ab.sh BASELINE_BINARY [ROUNDS] [SECONDS] [CONNECTIONS]
set -euo pipefail
cd "$(dirname "$0")/../.."
BASE=${1:?usage: sim-ab.sh BASELINE_BINARY [ROUNDS] [SECONDS] [CONNECTIONS]}
ROUNDS=${2:-5}
S=${3:-8}
C=${4:-64}
PORT=17547

cargo build -q --release -p gateway -p sim --example trivial_acs --bin cwmp2usp
taskset -c 1 target/release/examples/trivial_acs 127.0.0.1:$PORT >/dev/null &
ACS=$!
trap 'kill $ACS 2>/dev/null' EXIT
sleep 1
INFORM=$(mktemp)
awk 'b{print} /^$/{b=1}' tests/fixtures/cwmp/genieacs-sim/Inform-00001-000000.txt > "$INFORM"
CPU=$(mktemp)
per_cpu() { awk -v r="$1" -v d="$S" '{printf "%.0f", r * d / ($1 + $2)}' "$CPU"; }
sim() {
  /usr/bin/time -f "%U %S" -o "$CPU" taskset -c 0 "$1" sim --threads 1 --acs "http://127.0.0.1:$PORT/" \
    --count "$C" --interval 0 --no-bootstrap --progress 0 --duration "$S" 2>/dev/null \
    | tail -1 | sed -n 's/.*"sessions_per_second":\([0-9.]*\).*/\1/p'
}
for r in $(seq "$ROUNDS"); do
  w=$(INFORM_FILE=$INFORM /usr/bin/time -f "%U %S" -o "$CPU" taskset -c 0 wrk -t1 -c"$C" -d"${S}s" \
        -s examples/load/wrk-session.lua "http://127.0.0.1:$PORT/" | sed -n 's/^wrk: .* \([0-9]*\) sessions\/s$/\1/p')
  wl="wrk $w/s ($(per_cpu "$w") per CPU-s; user/sys $(cat "$CPU"))"
  a=$(sim "$BASE"); al="baseline $a/s ($(per_cpu "$a"); $(cat "$CPU"))"
  b=$(sim target/release/cwmp2usp); bl="this tree $b/s ($(per_cpu "$b"); $(cat "$CPU"))"
  echo "round $r: $wl | $al | $bl"
done
rm -f "$INFORM" "$CPU"
