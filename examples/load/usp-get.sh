#!/usr/bin/env bash
# USP Get through a private Mosquitto: our agent (one simulated CPE behind
# `cwmp2usp run`), the broker's own echo floor, and obuspa when OBUSPA names
# a built binary. For each agent, Get on Device.LocalAgent.EndpointID and on
# the whole Device.LocalAgent. subtree with 1, 8 and 64 requests
# outstanding (examples/usp_get_load.rs), ROUNDS times, the agents
# alternating so machine drift hits them alike. Prints one JSON line per
# run, then the medians per (agent, path, outstanding).
#
# Agents (the gateway, obuspa, the echo responder) run on core 1, the broker
# and the load controller on core 0. Everything listens on 127.0.0.1 and
# every run is bounded.
#
#   [OBUSPA=/tmp/obuspa-src/obuspa] examples/load/usp-get.sh [ROUNDS] [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/../.."
ROUNDS=${1:-3}
SECONDS_PER_RUN=${2:-5}
MOSQUITTO=${MOSQUITTO:-/usr/sbin/mosquitto}
OUR_AGENT=os::00D09E-SIM000000
OBUSPA_AGENT=os::012345-OBUSPA
CONTROLLER=self::usp-get-load
PATHS=(Device.LocalAgent.EndpointID Device.LocalAgent.)
LOADS=(1 8 64)

command -v "$MOSQUITTO" >/dev/null || { echo "no $MOSQUITTO: apt-get install -y mosquitto" >&2; exit 1; }
cargo build -q --release -p gateway --bin cwmp2usp --example usp_get_load
BIN=${CARGO_TARGET_DIR:-target}/release
LOAD=$BIN/examples/usp_get_load

WORK=$(mktemp -d)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() {
  for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.1; done
  echo "nothing listens on port $1" >&2; return 1
}

# The broker, as the tests configure it (crates/mtp/tests/support/mosquitto.rs).
MQTT_PORT=$(free_port)
printf 'listener %s 127.0.0.1\nallow_anonymous true\nmax_connections -1\npersistence false\n' \
  "$MQTT_PORT" > "$WORK/mosquitto.conf"
taskset -c 0 "$MOSQUITTO" -c "$WORK/mosquitto.conf" >"$WORK/mosquitto.log" 2>&1 &
PIDS+=($!)
wait_port "$MQTT_PORT"
BROKER=mqtt://127.0.0.1:$MQTT_PORT

# The floor: a responder that sends each request straight back.
taskset -c 1 "$LOAD" echo --broker "$BROKER" --topic usp/agent/self::echo --lifetime 3600 &
PIDS+=($!)

# Our agent: the gateway, then one simulated CPE so that its agent exists.
CWMP_PORT=$(free_port)
taskset -c 1 "$BIN/cwmp2usp" run --cwmp-listen "127.0.0.1:$CWMP_PORT" --cwmp-auth none \
  --data-dir "$WORK/data" --ws-listen none --mqtt-url "$BROKER" \
  >"$WORK/run.out" 2>"$WORK/run.err" &
PIDS+=($!)
wait_port "$CWMP_PORT"
taskset -c 0 "$BIN/cwmp2usp" sim --acs "http://127.0.0.1:$CWMP_PORT/" --count 1 --progress 0 \
  --duration 5 >/dev/null 2>&1 || true

# obuspa, from a factory reset file naming the broker, its agent topic and us.
if [[ -n "${OBUSPA:-}" ]]; then
  sed -e "s/@PORT@/$MQTT_PORT/" -e "s/@AGENT@/$OBUSPA_AGENT/" -e "s/@CONTROLLER@/$CONTROLLER/" \
    examples/load/obuspa-reset.txt > "$WORK/obuspa-reset.txt"
  taskset -c 1 "$OBUSPA" -v 1 -r "$WORK/obuspa-reset.txt" -f "$WORK/obuspa.db" -s "$WORK/obuspa.sock" \
    >"$WORK/obuspa.log" 2>&1 &
  PIDS+=($!)
fi

# Every agent answers once before anything is measured.
ready() {
  for _ in $(seq 30); do
    "$LOAD" get --broker "$BROKER" --to "$1" --from "$CONTROLLER" --path Device.LocalAgent.EndpointID \
      --outstanding 1 --warmup 0 --seconds 0.5 --timeout 0.4 --label probe 2>/dev/null \
      | grep -q '"answered":[1-9]' && return 0
    sleep 0.5
  done
  echo "agent $1 does not answer" >&2; return 1
}
AGENTS=("echo self::echo" "cwmp2usp $OUR_AGENT")
[[ -n "${OBUSPA:-}" ]] && AGENTS+=("obuspa $OBUSPA_AGENT")
for a in "${AGENTS[@]}"; do ready "${a#* }"; done

RESULTS=$WORK/results.jsonl
for r in $(seq "$ROUNDS"); do
  for a in "${AGENTS[@]}"; do
    label=${a%% *}; eid=${a#* }
    paths=("${PATHS[@]}")
    [[ $label == echo ]] && paths=(Device.LocalAgent.EndpointID)
    for p in "${paths[@]}"; do
      for k in "${LOADS[@]}"; do
        taskset -c 0 "$LOAD" get --broker "$BROKER" --to "$eid" --from "$CONTROLLER" --path "$p" \
          --outstanding "$k" --seconds "$SECONDS_PER_RUN" --label "$label" | tee -a "$RESULTS"
      done
    done
  done
done

echo "medians of $ROUNDS rounds (agent path outstanding: Gets/s p50 p90 p99 ms, params, lost, errors):"
python3 - "$RESULTS" <<'PY'
import json, statistics, sys, collections
runs = collections.defaultdict(list)
for line in open(sys.argv[1]):
    j = json.loads(line)
    runs[(j["agent"], j["path"], j["outstanding"])].append(j)
for (agent, path, k), rs in runs.items():
    med = lambda f: statistics.median(r[f] for r in rs)
    print(f"{agent:9} {path:30} {k:3}: {med('per_second'):8.0f}/s  p50 {med('p50_ms'):.3f}"
          f"  p90 {med('p90_ms'):.3f}  p99 {med('p99_ms'):.3f} ms  params {rs[-1]['params_per_answer']}"
          f"  lost {sum(r['lost'] for r in rs)}  errors {sum(r['errors'] for r in rs)}")
PY
