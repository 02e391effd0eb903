#!/usr/bin/env bash
# Whole-gateway cost of USP agents: N simulated CPE register with
# `cwmp2usp run --mqtt-url`, each becoming a USP agent with its own MQTT
# connection to a private Mosquitto (max_connections -1) on a free port.
# Then the gateway restarts on the full registry and every agent connects
# again from the registry alone: that gives the connect rate.
#
# Prints the gateway's VmRSS empty, with N agents up, and the difference per
# agent; and the time from the restarted gateway's ready line until the
# broker counts N connected clients. Traffic stays on 127.0.0.1; every
# process is bounded in time.
#
#   examples/load/agents-memory.sh [N] [MQTT_VERSION]
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${1:-10000}
VERSION=${2:-5}
ulimit -n 20000
command -v mosquitto_sub >/dev/null || { echo "mosquitto_sub is missing: apt-get install -y mosquitto-clients" >&2; exit 1; }
cargo build -q --release -p gateway --bin cwmp2usp
BIN=target/release/cwmp2usp

WORK=$(mktemp -d /dev/shm/cwmp2usp-agents.XXXXXX)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

MQ=$(free_port)
printf 'listener %s 127.0.0.1\nallow_anonymous true\nmax_connections -1\nsys_interval 1\n' "$MQ" > "$WORK/mosquitto.conf"
/usr/sbin/mosquitto -c "$WORK/mosquitto.conf" > "$WORK/mosquitto.log" 2>&1 &
PIDS+=($!)
sleep 0.5
connected() { mosquitto_sub -p "$MQ" -t '$SYS/broker/clients/connected' -C 1 -W 5 2>/dev/null || echo 0; }
rss_kib() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }

start_gw() {
  $BIN run --cwmp-listen 127.0.0.1:0 --cwmp-auth none --ws-listen none \
    --mqtt-url "mqtt://127.0.0.1:$MQ" --mqtt-version "$VERSION" \
    --data-dir "$WORK/data" > "$WORK/gw.out" 2> "$WORK/gw.err" &
  GW=$!
  PIDS+=("$GW")
  for _ in $(seq 300); do grep -q '"ready"' "$WORK/gw.out" 2>/dev/null && break; sleep 0.1; done
  grep -q '"ready"' "$WORK/gw.out" || { echo "gateway did not start" >&2; cat "$WORK/gw.err" >&2; exit 1; }
}

wait_connected() {
  local want=$1 limit=$2 t0=$SECONDS c=0
  while [ $((SECONDS - t0)) -lt "$limit" ]; do
    c=$(connected)
    [ "$c" -ge "$want" ] && break
    sleep 1
  done
  echo "$c"
}

start_gw
sleep 1
EMPTY=$(rss_kib "$GW")
ACS=$(sed -n 's/.*"cwmp":"\([^"]*\)".*/\1/p' "$WORK/gw.out")
SPREAD=$(( N / 500 + 1 ))
$BIN sim --acs "$ACS" --count "$N" --boot-spread "$SPREAD" --interval 86400 \
  --progress 0 --duration $((SPREAD + 30)) > "$WORK/sim.out" 2>/dev/null &
SIM=$!
PIDS+=("$SIM")
C=$(wait_connected "$N" $((SPREAD + 60)))
sleep 3
FULL=$(rss_kib "$GW")
echo "MQTT $VERSION: $C of $N agents connected; gateway RSS empty ${EMPTY} KiB, with agents ${FULL} KiB:" \
  "$(awk -v e="$EMPTY" -v f="$FULL" -v n="$N" 'BEGIN{printf "%.2f KiB per agent", (f-e)/n}')"
wait "$SIM" || true

kill "$GW"; wait "$GW" 2>/dev/null || true
for _ in $(seq 30); do [ "$(connected)" -eq 0 ] && break; sleep 1; done
T0=$(date +%s.%N)
start_gw
C=$(wait_connected "$N" 120)
T1=$(date +%s.%N)
echo "restart: $(sed -n 's/.*"agents":\([0-9]*\).*/\1/p' "$WORK/gw.out") agents from the registry," \
  "$C connected in $(awk -v a="$T0" -v b="$T1" 'BEGIN{printf "%.1f", b-a}') s" \
  "($(awk -v a="$T0" -v b="$T1" -v n="$C" 'BEGIN{printf "%.0f", n/(b-a)}') connects/s, paced at 500/s by default);" \
  "RSS $(rss_kib "$GW") KiB"
