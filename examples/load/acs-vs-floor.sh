#!/usr/bin/env bash
# Whole-system ACS figure: periodic-Inform sessions per second that
# `cwmp2usp run` (durable registry, every Inform committed before its
# InformResponse) serves, against the floor of a bare hyper server that
# answers the same exchanges without work (the sim crate's trivial_acs).
# Each session is Inform, then an empty POST, on a new TCP connection, as
# real CPE do. The server under test is pinned to core 1, `cwmp2usp sim` to
# core 0; the two servers alternate ROUNDS times so drift hits both alike.
# Traffic goes to 127.0.0.1 only and every run is bounded by SECONDS.
#
#   examples/load/acs-vs-floor.sh [ROUNDS] [SECONDS] [CPE] [EXTRA RUN FLAGS...]
set -euo pipefail
cd "$(dirname "$0")/../.."
ROUNDS=${1:-5}
SECONDS_PER_RUN=${2:-8}
CPE=${3:-64}
shift $(( $# < 3 ? $# : 3 ))
PORT=17548

cargo build -q --release -p gateway -p sim --example trivial_acs --bin cwmp2usp
DATA=$(mktemp -d)
SERVER=
trap 'kill $SERVER 2>/dev/null; rm -rf "$DATA"' EXIT

# Starts the server given as arguments on core 1 and waits for its port.
start() {
  taskset -c 1 "$@" >/dev/null 2>&1 &
  SERVER=$!
  for _ in $(seq 100); do
    (exec 3<>/dev/tcp/127.0.0.1/$PORT) 2>/dev/null && return 0
    sleep 0.1
  done
  echo "server did not come up: $*" >&2; exit 1
}
stop() { kill "$SERVER" 2>/dev/null; wait "$SERVER" 2>/dev/null || true; SERVER=; }

drive() {
  taskset -c 0 target/release/cwmp2usp sim --threads 1 --acs "http://127.0.0.1:$PORT/" \
      --count "$CPE" --interval 0 --no-bootstrap --progress 0 --duration "$SECONDS_PER_RUN" 2>/dev/null \
    | tail -1 | sed -n 's/.*"sessions_per_second":\([0-9.]*\).*/\1/p'
}

floor=(); gw=()
for r in $(seq "$ROUNDS"); do
  start target/release/examples/trivial_acs 127.0.0.1:$PORT
  f=$(drive); stop
  start target/release/cwmp2usp run --cwmp-listen 127.0.0.1:$PORT --cwmp-auth none --data-dir "$DATA" "$@"
  g=$(drive); stop
  echo "round $r: floor $f sessions/s, gateway $g sessions/s"
  floor+=("$f"); gw+=("$g")
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}'; }
mf=$(median "${floor[@]}"); mg=$(median "${gw[@]}")
echo "median: floor $mf sessions/s, gateway $mg sessions/s, ratio $(awk -v g="$mg" -v f="$mf" 'BEGIN{printf "%.2f", g/f}')"
