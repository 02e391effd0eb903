#!/usr/bin/env bash
# fsyncs of the gateway while N new CPE boot, each becoming an MQTT agent
# (the Mosquitto on 127.0.0.1:1883); ONBOARD=1 adds --onboard-request, whose
# persisted OnBoardRequest is what the northbound batches. Loopback only,
# bounded by the simulator's --duration.
#
#   [ONBOARD=1] examples/load/onboard-fsyncs.sh [CPE]
set -u
cd "$(dirname "$0")/../.."
cargo build -q --release -p gateway --bin cwmp2usp
BIN=${BIN:-target/release/cwmp2usp}
N=${1:-2000}
D=$(mktemp -d /dev/shm/fsm.XXXX)
EXTRA=(--mqtt-url mqtt://127.0.0.1:1883)
[ "${ONBOARD:-0}" = 1 ] && EXTRA+=(--onboard-request --controller proto::c=usp/c)
$BIN run --cwmp-auth none --cwmp-listen 127.0.0.1:18547 --ws-listen none --data-dir $D/data --provision none "${EXTRA[@]}" > $D/gw.out 2>/dev/null &
GW=$!
for _ in $(seq 100); do grep -q ready $D/gw.out 2>/dev/null && break; sleep 0.1; done
timeout 30 strace -c -f -e trace=fdatasync,fsync -p $GW -o $D/st.txt &
ST=$!
sleep 0.5
$BIN sim --acs http://127.0.0.1:18547/ --count $N --interval 3600 --duration 8 --progress 0 > $D/sim.out 2>&1
sleep 1
kill -INT $ST; wait $ST 2>/dev/null
kill -INT $GW; wait $GW 2>/dev/null
grep -E "fdatasync|fsync" $D/st.txt
grep -o '"informs":[0-9]*' $D/gw.out
rm -rf $D
