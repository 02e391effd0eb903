#!/usr/bin/env bash
# USP Get through a private Mosquitto: our agent (one simulated CPE behind
# `cwmp2usp run`, subscribing and publishing at QoS 1 as by default; a
# second gateway with --mqtt-publish-qos 0; a third that also subscribes at
# QoS 0, as obuspa does by default), the broker's own
# echo floor, and obuspa when OBUSPA names a built binary. For each agent, Get on Device.LocalAgent.EndpointID and on
# the whole Device.LocalAgent. subtree with 1, 8 and 64 requests
# outstanding (examples/usp_get_load.rs), ROUNDS times, the agents
# alternating so machine drift hits them alike. Prints one JSON line per
# run, then the medians per (agent, path, outstanding), with the CPU time
# the agent's process and the broker spent per Get (from /proc/PID/stat).
#
# Agents (the gateway, obuspa, the echo responder) run on core 1, the broker
# and the load controller on core 0; PIN=none lets the scheduler place
# everything on both cores instead; PIN=broker keeps core 0 for the broker.
# Everything listens on 127.0.0.1 and every run is bounded. The broker sets
# TCP_NODELAY: without it each small packet can wait 40 ms for a delayed
# ACK, whatever the agent does.
#
#   [OBUSPA=/tmp/obuspa-src/obuspa] [PIN=none|broker] [GET_PATHS="P ..."] [LOADS="K ..."] \
#     examples/load/usp-get.sh [ROUNDS] [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/../.."
ROUNDS=${1:-3}
SECONDS_PER_RUN=${2:-5}
MOSQUITTO=${MOSQUITTO:-/usr/sbin/mosquitto}
OUR_AGENT=os::00D09E-SIM000000
OBUSPA_AGENT=os::012345-OBUSPA
CONTROLLER=self::usp-get-load
read -ra PATHS <<< "${GET_PATHS:-Device.LocalAgent.EndpointID Device.LocalAgent.}"
read -ra LOADS <<< "${LOADS:-1 8 64}"
# PIN=broker gives the broker core 0 to itself, as a broker on its own
# host would be, and puts each agent with the load controller on core 1.
BROKER_CORE=
case ${PIN:-split} in
  none) AGENT_CORE=0,1 LOAD_CORE=0,1 ;;
  broker) AGENT_CORE=1 LOAD_CORE=1 BROKER_CORE=0 ;;
  *) AGENT_CORE=1 LOAD_CORE=0 ;;
esac
BROKER_CORE=${BROKER_CORE:-$LOAD_CORE}

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
printf 'listener %s 127.0.0.1\nallow_anonymous true\nmax_connections -1\npersistence false\nset_tcp_nodelay true\n' \
  "$MQTT_PORT" > "$WORK/mosquitto.conf"
taskset -c $BROKER_CORE "$MOSQUITTO" -c "$WORK/mosquitto.conf" >"$WORK/mosquitto.log" 2>&1 &
PIDS+=($!)
declare -A PID_OF=([broker]=$!)
wait_port "$MQTT_PORT"
BROKER=mqtt://127.0.0.1:$MQTT_PORT

# The floor: a responder that sends each request straight back.
taskset -c $AGENT_CORE "$LOAD" echo --broker "$BROKER" --topic usp/agent/self::echo --lifetime 3600 &
PIDS+=($!)
PID_OF[echo]=$!

# Our agents: a gateway, then one simulated CPE so that its agent exists.
# LABEL PUBLISH_QOS SUBSCRIBE_QOS SERIAL_PREFIX
gateway() {
  local port; port=$(free_port)
  taskset -c $AGENT_CORE "$BIN/cwmp2usp" run --cwmp-listen "127.0.0.1:$port" --cwmp-auth none \
    --data-dir "$WORK/data-$1" --ws-listen none --mqtt-url "$BROKER" --mqtt-publish-qos "$2" \
    --mqtt-subscribe-qos "$3" \
    >"$WORK/run-$1.out" 2>"$WORK/run-$1.err" &
  PIDS+=($!)
  PID_OF[$1]=$!
  wait_port "$port"
  taskset -c $LOAD_CORE "$BIN/cwmp2usp" sim --acs "http://127.0.0.1:$port/" --count 1 --progress 0 \
    --serial-prefix "$4" --duration 5 >/dev/null 2>&1 || true
}
gateway cwmp2usp 1 1 SIM
gateway cwmp2usp-q0 0 1 Q0SIM
gateway cwmp2usp-q00 0 0 Q00SIM

# obuspa, from a factory reset file naming the broker, its agent topic and us.
if [[ -n "${OBUSPA:-}" ]]; then
  sed -e "s/@PORT@/$MQTT_PORT/" -e "s/@AGENT@/$OBUSPA_AGENT/" -e "s/@CONTROLLER@/$CONTROLLER/" \
    examples/load/obuspa-reset.txt > "$WORK/obuspa-reset.txt"
  taskset -c $AGENT_CORE "$OBUSPA" -v 1 -r "$WORK/obuspa-reset.txt" -f "$WORK/obuspa.db" -s "$WORK/obuspa.sock" \
    >"$WORK/obuspa.log" 2>&1 &
  PIDS+=($!)
  PID_OF[obuspa]=$!
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
AGENTS=("echo self::echo" "cwmp2usp $OUR_AGENT" "cwmp2usp-q0 os::00D09E-Q0SIM000000"
  "cwmp2usp-q00 os::00D09E-Q00SIM000000")
[[ -n "${OBUSPA:-}" ]] && AGENTS+=("obuspa $OBUSPA_AGENT")
for a in "${AGENTS[@]}"; do ready "${a#* }"; done

RESULTS=$WORK/results.jsonl
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
# Nanoseconds the process's threads spent runnable but not running (a
# busy machine shows here, not in the CPU time).
waited() { cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{w += $2} END {print w + 0}'; }
# Agents innermost: each comparison is made within a few seconds.
for r in $(seq "$ROUNDS"); do
  for p in "${PATHS[@]}"; do
    for k in "${LOADS[@]}"; do
      for a in "${AGENTS[@]}"; do
        label=${a%% *}; eid=${a#* }
        [[ $label == echo && $p != Device.LocalAgent.EndpointID ]] && continue
        a0=$(ticks "${PID_OF[$label]}"); b0=$(ticks "${PID_OF[broker]}")
        aw0=$(waited "${PID_OF[$label]}"); bw0=$(waited "${PID_OF[broker]}")
        line=$(taskset -c $LOAD_CORE "$LOAD" get --broker "$BROKER" --to "$eid" --from "$CONTROLLER" --path "$p" \
          --outstanding "$k" --warmup 0 --seconds "$SECONDS_PER_RUN" --label "$label")
        a1=$(ticks "${PID_OF[$label]}"); b1=$(ticks "${PID_OF[broker]}")
        aw1=$(waited "${PID_OF[$label]}"); bw1=$(waited "${PID_OF[broker]}")
        # CPU in clock ticks (1/100 s) over the run and its drain; run-queue
        # waits in ms.
        echo "${line%\}},\"agent_cpu_ticks\":$((a1 - a0)),\"broker_cpu_ticks\":$((b1 - b0)),\"agent_wait_ms\":$(((aw1 - aw0) / 1000000)),\"broker_wait_ms\":$(((bw1 - bw0) / 1000000))}" | tee -a "$RESULTS"
      done
    done
  done
done

echo "medians of $ROUNDS rounds (agent path outstanding: Gets/s; p50 p90 p99 ms; agent, broker and controller CPU µs per Get; params; lost; errors):"
python3 - "$RESULTS" <<'PY'
import json, statistics, sys, collections
runs = collections.defaultdict(list)
for line in open(sys.argv[1]):
    j = json.loads(line)
    runs[(j["agent"], j["path"], j["outstanding"])].append(j)
for (agent, path, k), rs in sorted(runs.items()):
    med = lambda f: statistics.median(r[f] for r in rs)
    # Per Get answered: the run's ticks (10 ms) over what the run answered.
    per_get = lambda f: statistics.median(
        r[f] * 1e4 / max(r["answered"], 1) for r in rs)
    print(f"{agent:11} {path:29} {k:3}: {med('per_second'):7.0f}/s  p50 {med('p50_ms'):.3f}"
          f"  p90 {med('p90_ms'):.3f}  p99 {med('p99_ms'):.3f} ms"
          f"  cpu {per_get('agent_cpu_ticks'):.0f}/{per_get('broker_cpu_ticks'):.0f}"
          f"/{per_get('controller_cpu_ticks'):.0f} µs"
          f"  params {rs[-1]['params_per_answer']}"
          f"  lost {sum(r['lost'] for r in rs)}  errors {sum(r['errors'] for r in rs)}")
PY
