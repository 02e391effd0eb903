#!/usr/bin/env bash
# Registry memory per idle registered device: register COUNT simulated CPE
# with `cwmp2usp run` (durable registry, provisioning on), stop the fleet,
# and compare the gateway's resident memory with that of an empty one; then
# restart the gateway on the full registry and measure again, idle.
# Traffic goes to 127.0.0.1 only; the fleet stops once every CPE has booted.
#
#   examples/load/registry-memory.sh [COUNT]
set -euo pipefail
cd "$(dirname "$0")/../.."
COUNT=${1:-100000}
PORT=17549
CONTROL=17550
cargo build -q --release -p gateway --bin cwmp2usp
BIN=target/release/cwmp2usp
DATA=$(mktemp -d)
GW=; SIM=
trap 'kill $GW $SIM 2>/dev/null; rm -rf "$DATA"' EXIT

rss_kib() { awk '/^VmRSS/{print $2}' "/proc/$1/status"; }
start_gw() {
  $BIN run --cwmp-listen 127.0.0.1:$PORT --cwmp-auth none --data-dir "$DATA" \
      --periodic-inform-interval 86400 >/dev/null 2>&1 &
  GW=$!
  for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/$PORT) 2>/dev/null && break; sleep 0.1; done
  sleep 1
}

start_gw
empty=$(rss_kib "$GW")
$BIN sim --acs "http://127.0.0.1:$PORT/" --count "$COUNT" --interval 86400 --boot-spread 20 \
    --control-listen 127.0.0.1:$CONTROL --progress 0 >/dev/null 2>&1 &
SIM=$!
# Every CPE booted (and was provisioned) once all COUNT sessions completed.
until curl -s "http://127.0.0.1:$CONTROL/stats" 2>/dev/null \
    | grep -q "\"sessions_completed\":$COUNT[,}]"; do sleep 2; done
kill $SIM; wait $SIM 2>/dev/null || true; SIM=
sleep 3
full=$(rss_kib "$GW")
kill $GW; wait $GW 2>/dev/null || true
start_gw
restarted=$(rss_kib "$GW")
size=$(du -k "$DATA/registry.redb" | cut -f1)
echo "devices $COUNT; registry file $((size / 1024)) MiB"
echo "gateway RSS: empty ${empty} KiB, after registering ${full} KiB, restarted idle ${restarted} KiB"
awk -v e="$empty" -v f="$full" -v r="$restarted" -v n="$COUNT" 'BEGIN{
  printf "per idle device: %.0f bytes after registering, %.0f bytes after a restart\n",
    (f - e) * 1024 / n, (r - e) * 1024 / n }'
