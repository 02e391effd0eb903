#!/usr/bin/env bash
# ValueChange notifications (issue 7): COUNT (10,000) simulated TR-181 CPE
# behind `cwmp2usp run`, each agent on its own MQTT connection to a
# private Mosquitto. A load controller (crates/gateway/examples/
# usp_notify_load.rs) gives every agent a ValueChange subscription on
# Device.WiFi.SSID.1.SSID (the gateway sets active notification on each
# CPE), then changes that parameter through the simulator's control API,
# K changes in flight, round-robin over the CPE. Each change is a
# "4 VALUE CHANGE" Inform session and one Notify back to the controller.
# Prints the controller's line (notifications/s, control-call-to-Notify
# latency) and the gateway's own latency from Inform receipt to Notify
# publish, from its exit report. Everything listens on 127.0.0.1; every
# run is bounded.
#
#   [COUNT=10000] [LOADS="8 64"] examples/load/value-change.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/../.."
SECONDS_PER_RUN=${1:-10}
COUNT=${COUNT:-10000}
read -ra LOADS <<< "${LOADS:-8 64}"
MOSQUITTO=${MOSQUITTO:-/usr/sbin/mosquitto}
command -v "$MOSQUITTO" >/dev/null || { echo "no $MOSQUITTO: apt-get install -y mosquitto" >&2; exit 1; }
# 10,000 agents hold 10,000 sockets in the gateway and the broker.
ulimit -n 20000

cargo build -q --release -p gateway --bin cwmp2usp --example usp_notify_load
BIN=${CARGO_TARGET_DIR:-target}/release
LOAD=$BIN/examples/usp_notify_load

WORK=$(mktemp -d -p /dev/shm value-change.XXXXXX)
PIDS=()
GATEWAY=
cleanup() {
  [[ -n $GATEWAY ]] && kill "$GATEWAY" 2>/dev/null
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
MQTT_PORT=$(free_port)
CWMP_PORT=$(free_port)
CONTROL_PORT=$(free_port)
printf 'listener %s 127.0.0.1\nallow_anonymous true\nmax_connections -1\npersistence false\nset_tcp_nodelay true\n' \
  "$MQTT_PORT" > "$WORK/mosquitto.conf"
"$MOSQUITTO" -c "$WORK/mosquitto.conf" >"$WORK/mosquitto.log" 2>&1 &
PIDS+=($!)

start_gateway() {
  : >"$WORK/run.out"
  "$BIN/cwmp2usp" run --cwmp-listen "127.0.0.1:$CWMP_PORT" --cwmp-auth none \
    --data-dir "$WORK/data" --ws-listen none --mqtt-url "mqtt://127.0.0.1:$MQTT_PORT" \
    --controller "self::vc-load=usp/controller/vc-load" --duration 900 \
    >"$WORK/run.out" 2>>"$WORK/run.err" &
  GATEWAY=$!
  for _ in $(seq 300); do grep -q '"event":"ready"' "$WORK/run.out" && return 0; sleep 0.1; done
  echo "the gateway is not ready" >&2; return 1
}
stop_gateway() {
  [[ -n $GATEWAY ]] || return 0
  kill -TERM "$GATEWAY"
  wait "$GATEWAY" || true
  GATEWAY=
}

start_gateway
"$BIN/cwmp2usp" sim --acs "http://127.0.0.1:$CWMP_PORT/" --count "$COUNT" --interval 86400 \
  --control-listen "127.0.0.1:$CONTROL_PORT" --progress 0 --duration 3600 \
  >"$WORK/sim.out" 2>"$WORK/sim.err" &
SIM=$!
PIDS+=($SIM)
booted() { curl -sf "http://127.0.0.1:$CONTROL_PORT/stats" | python3 -c 'import json,sys; print(json.load(sys.stdin).get("sessions_completed",0))' 2>/dev/null || echo 0; }
for _ in $(seq 240); do
  [[ $(booted) -ge $COUNT ]] && break
  sleep 0.5
done
[[ $(booted) -ge $COUNT ]] || { echo "only $(booted) of $COUNT CPE booted" >&2; exit 1; }
echo "$COUNT CPE registered; load average $(cut -d' ' -f1-3 /proc/loadavg)" >&2

SUBSCRIBED=()
for k in "${LOADS[@]}"; do
  line=$("$LOAD" --broker "127.0.0.1:$MQTT_PORT" --agents "$COUNT" "${SUBSCRIBED[@]}" \
    --sim-control "http://127.0.0.1:$CONTROL_PORT" --outstanding "$k" \
    --settle "$(( COUNT / 500 + 5 ))" --seconds "$SECONDS_PER_RUN")
  echo "$line"
  SUBSCRIBED=(--subscribed)
done
stop_gateway
grep '"event":"report"' "$WORK/run.out" | tail -1 \
  | python3 -c 'import json,sys; r=json.load(sys.stdin); print(json.dumps({k: r[k] for k in r if "notif" in k}))'
