#!/usr/bin/env bash
# USP Gets translated to CWMP (issue 6): a load controller
# (crates/gateway/examples/usp_cwmp_load.rs) on the gateway's WebSocket
# server MTP spreads Gets of 10 Device.DeviceInfo. parameters round-robin
# over the agents of COUNT (1,000) simulated TR-181 CPE, with 1, 8 and 64
# requests outstanding, ROUNDS times. With K < COUNT no two Gets to one
# CPE are in flight together, so each Get is a connection request to the
# simulator plus a new CWMP session (Inform, empty POST, one
# GetParameterValues of the 10 names, end): the figure is translated Gets/s
# in that worst case, not Gets sharing sessions.
#
# The gateway restarts for every run (same data directory, same port, so
# the registered CPE stay reachable) so that its exit report holds that
# run's latency split: time waiting on the CPE against time in the gateway.
# Prints one JSON line per run (the controller's figures, the gateway's
# split, CPU per Get of the gateway and the simulator over the measured
# window, read from /proc/PID/stat by the controller), then
# medians per K. Everything listens on 127.0.0.1; every run is bounded.
#
#   [COUNT=1000] examples/load/usp-cwmp-get.sh [ROUNDS] [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/../.."
ROUNDS=${1:-3}
SECONDS_PER_RUN=${2:-10}
COUNT=${COUNT:-1000}
LOADS=(${LOADS:-1 8 64})
WARMUP=2
PATHS=(Manufacturer ManufacturerOUI ModelName Description ProductClass SerialNumber
  HardwareVersion SoftwareVersion UpTime ProvisioningCode)

cargo build -q --release -p gateway --bin cwmp2usp --example usp_cwmp_load
BIN=${CARGO_TARGET_DIR:-target}/release
LOAD=$BIN/examples/usp_cwmp_load

WORK=$(mktemp -d -p /dev/shm usp-cwmp-get.XXXXXX)
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

CWMP_PORT=$(free_port)
WS_PORT=$(free_port)
CONTROL_PORT=$(free_port)
# The run is bounded by --duration in case this script dies uncleanly.
start_gateway() {
  # Emptied here, not by the child's redirection, which may come after
  # the wait below has read the previous run's ready line.
  : >"$WORK/run.out"
  "$BIN/cwmp2usp" run --cwmp-listen "127.0.0.1:$CWMP_PORT" --cwmp-auth none \
    --data-dir "$WORK/data" --ws-listen "127.0.0.1:$WS_PORT" --duration 600 \
    >"$WORK/run.out" 2>>"$WORK/run.err" &
  GATEWAY=$!
  # The ready line comes once every registered device's agent is up.
  for _ in $(seq 100); do grep -q '"event":"ready"' "$WORK/run.out" && return 0; sleep 0.1; done
  echo "the gateway is not ready" >&2; return 1
}
# SIGTERM makes the gateway print its report (the last line of run.out).
stop_gateway() {
  [[ -n $GATEWAY ]] || return 0
  kill -TERM "$GATEWAY"
  wait "$GATEWAY" || true
  GATEWAY=
}

start_gateway
# A periodic interval longer than the whole benchmark: the only sessions
# are the boot and the ones our Gets ask for. The simulator's connection
# request listener keeps every CPE reachable.
"$BIN/cwmp2usp" sim --acs "http://127.0.0.1:$CWMP_PORT/" --count "$COUNT" --interval 86400 \
  --control-listen "127.0.0.1:$CONTROL_PORT" --progress 0 --duration 3600 \
  >"$WORK/sim.out" 2>"$WORK/sim.err" &
SIM=$!
PIDS+=($SIM)
booted() { curl -sf "http://127.0.0.1:$CONTROL_PORT/stats" | python3 -c 'import json,sys; print(json.load(sys.stdin).get("sessions_completed",0))' 2>/dev/null || echo 0; }
for _ in $(seq 120); do
  [[ $(booted) -ge $COUNT ]] && break
  sleep 0.5
done
[[ $(booted) -ge $COUNT ]] || { echo "only $(booted) of $COUNT CPE booted" >&2; exit 1; }
echo "$COUNT CPE registered; load average $(cut -d' ' -f1-3 /proc/loadavg)" >&2

ARGS=()
for p in "${PATHS[@]}"; do ARGS+=(--path "Device.DeviceInfo.$p"); done
RESULTS=$WORK/results.jsonl
for r in $(seq "$ROUNDS"); do
  for k in "${LOADS[@]}"; do
    stop_gateway
    start_gateway
    line=$("$LOAD" --ws "ws://127.0.0.1:$WS_PORT/usp/agent/{eid}" --agents "$COUNT" "${ARGS[@]}" \
      --outstanding "$k" --warmup "$WARMUP" --seconds "$SECONDS_PER_RUN" \
      --cpu-of "gateway=$GATEWAY" --cpu-of "sim=$SIM")
    stop_gateway
    split=$(grep '"event":"report"' "$WORK/run.out" | tail -1 \
      | python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin)["cpe_requests"]))')
    echo "${line%\}},\"round\":$r,\"load_average\":\"$(cut -d' ' -f1 /proc/loadavg)\",\"gateway_split\":$split}" \
      | tee -a "$RESULTS"
  done
done

echo "medians of $ROUNDS rounds (K: Gets/s; controller p50/p99 ms; gateway-added p50/p99 ms; CPE wait p50/p99 ms; CPU µs per Get gateway/sim):"
python3 - "$RESULTS" <<'PY'
import json, statistics, sys, collections
runs = collections.defaultdict(list)
for line in open(sys.argv[1]):
    j = json.loads(line)
    runs[j["outstanding"]].append(j)
for k, rs in sorted(runs.items()):
    med = lambda f: statistics.median(f(r) for r in rs)
    split = lambda part, q: med(lambda r: r["gateway_split"][part][q] / 1000)
    per_get = lambda p: med(lambda r: r["cpu_us_per_answer"][p])
    print(f"K={k:3}: {med(lambda r: r['per_second']):6.0f}/s"
          f"  e2e {med(lambda r: r['p50_ms']):.2f}/{med(lambda r: r['p99_ms']):.2f}"
          f"  gateway {split('gateway', 'p50_us'):.3f}/{split('gateway', 'p99_us'):.3f}"
          f"  cpe {split('cpe_wait', 'p50_us'):.2f}/{split('cpe_wait', 'p99_us'):.2f}"
          f"  cpu {per_get('gateway'):.0f}/{per_get('sim'):.0f} µs"
          f"  params {rs[-1]['params_per_answer']}"
          f"  lost {sum(r['lost'] for r in rs)}  errors {sum(r['errors'] for r in rs)}")
PY
