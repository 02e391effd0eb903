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
# MODELS="tr181 tr098" runs a fleet of each model (serials TR181000000...,
# TR098000000...) side by side and measures each in turn, same gateway,
# same simulator binary, same run: TR-098 Gets go through the mapping
# pack (issue 8). GET="PATH ..." replaces the 10 DeviceInfo names (for
# example GET=Device.WiFi.).
#
#   [COUNT=1000] [MODELS=tr181] [GET="PATH ..."] examples/load/usp-cwmp-get.sh [ROUNDS] [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/../.."
ROUNDS=${1:-3}
SECONDS_PER_RUN=${2:-10}
COUNT=${COUNT:-1000}
LOADS=(${LOADS:-1 8 64})
WARMUP=2
MODELS=(${MODELS:-tr181})
PATHS=(Manufacturer ManufacturerOUI ModelName Description ProductClass SerialNumber
  HardwareVersion SoftwareVersion UpTime ProvisioningCode)
# One model keeps the simulator's own serials (SIM000000...).
prefix_of() { if [[ ${#MODELS[@]} -eq 1 ]]; then echo SIM; else echo "${1^^}"; fi; }

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
declare -A SIMS
booted() { curl -sf "http://127.0.0.1:$1/stats" | python3 -c 'import json,sys; print(json.load(sys.stdin).get("sessions_completed",0))' 2>/dev/null || echo 0; }
for m in "${MODELS[@]}"; do
  control=$(free_port)
  "$BIN/cwmp2usp" sim --acs "http://127.0.0.1:$CWMP_PORT/" --count "$COUNT" --interval 86400 \
    --model "$m" --serial-prefix "$(prefix_of "$m")" \
    --control-listen "127.0.0.1:$control" --progress 0 --duration 3600 \
    >"$WORK/sim-$m.out" 2>"$WORK/sim-$m.err" &
  SIMS[$m]=$!
  PIDS+=($!)
  for _ in $(seq 120); do
    [[ $(booted "$control") -ge $COUNT ]] && break
    sleep 0.5
  done
  [[ $(booted "$control") -ge $COUNT ]] || { echo "only $(booted "$control") of $COUNT $m CPE booted" >&2; exit 1; }
done
echo "${#MODELS[@]} x $COUNT CPE registered; load average $(cut -d' ' -f1-3 /proc/loadavg)" >&2

ARGS=()
if [[ -n ${GET:-} ]]; then
  for p in $GET; do ARGS+=(--path "$p"); done
else
  for p in "${PATHS[@]}"; do ARGS+=(--path "Device.DeviceInfo.$p"); done
fi
RESULTS=$WORK/results.jsonl
for r in $(seq "$ROUNDS"); do
  for k in "${LOADS[@]}"; do
    for m in "${MODELS[@]}"; do
      stop_gateway
      start_gateway
      line=$("$LOAD" --ws "ws://127.0.0.1:$WS_PORT/usp/agent/{eid}" --agents "$COUNT" "${ARGS[@]}" \
        --agent-prefix "os::00D09E-$(prefix_of "$m")" \
        --outstanding "$k" --warmup "$WARMUP" --seconds "$SECONDS_PER_RUN" \
        --cpu-of "gateway=$GATEWAY" --cpu-of "sim=${SIMS[$m]}")
      stop_gateway
      split=$(grep '"event":"report"' "$WORK/run.out" | tail -1 \
        | python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin)["cpe_requests"]))')
      echo "${line%\}},\"model\":\"$m\",\"round\":$r,\"load_average\":\"$(cut -d' ' -f1 /proc/loadavg)\",\"gateway_split\":$split}" \
        | tee -a "$RESULTS"
    done
  done
done

echo "medians of $ROUNDS rounds (K: Gets/s; controller p50/p99 ms; gateway-added p50/p99 ms; CPE wait p50/p99 ms; CPU µs per Get gateway/sim):"
python3 - "$RESULTS" <<'PY'
import json, statistics, sys, collections
runs = collections.defaultdict(list)
for line in open(sys.argv[1]):
    j = json.loads(line)
    runs[(j.get("model", "tr181"), j["outstanding"])].append(j)
for (model, k), rs in sorted(runs.items(), key=lambda x: (x[0][1], x[0][0])):
    med = lambda f: statistics.median(f(r) for r in rs)
    split = lambda part, q: med(lambda r: r["gateway_split"][part][q] / 1000)
    per_get = lambda p: med(lambda r: r["cpu_us_per_answer"][p])
    print(f"{model} K={k:3}: {med(lambda r: r['per_second']):6.0f}/s"
          f"  e2e {med(lambda r: r['p50_ms']):.2f}/{med(lambda r: r['p99_ms']):.2f}"
          f"  gateway {split('gateway', 'p50_us'):.3f}/{split('gateway', 'p99_us'):.3f}"
          f"  cpe {split('cpe_wait', 'p50_us'):.2f}/{split('cpe_wait', 'p99_us'):.2f}"
          f"  cpu {per_get('gateway'):.0f}/{per_get('sim'):.0f} µs"
          f"  params {rs[-1]['params_per_answer']}"
          f"  lost {sum(r['lost'] for r in rs)}  errors {sum(r['errors'] for r in rs)}")
PY
