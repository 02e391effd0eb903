#!/usr/bin/env bash
# New HTTPS sessions per second: `cwmp2usp run` with an ECDSA P-256
# certificate against `cwmp2usp sim --interval 0`, each session on a new TLS
# connection with a full handshake (Inform, empty POST, close). The gateway
# is pinned to core 1 and the simulator to core 0, as in sim-vs-wrk.sh.
#
# The registry lives on /dev/shm so the figure measures TLS and session
# handling, not the disk's fsync rate (every Inform is a durable commit).
# Traffic goes to 127.0.0.1 only and every run stops after SECONDS.
#
# Three figures per round: sessions per wall-clock second, and sessions per
# CPU-second the gateway (user + system, from /proc) and the simulator (from
# /usr/bin/time) used. The last two are each side's capacity per core, and
# hold still when a shared machine is busy.
#
# With RESUME=1 the gateway sends stateless tickets and each simulated CPE
# resumes its own session from its second connection on; the figure is then
# for resumed handshakes and says so. Without it every handshake is full.
#
# BIN=path runs that binary instead of building one (to compare two builds
# in the same session); SIM_BIN likewise for the simulator side.
#
#   [RESUME=1] [BIN=...] [SIM_BIN=...] examples/load/https-sessions.sh [ROUNDS] [SECONDS] [CPE] [SIM_THREADS]
set -euo pipefail
cd "$(dirname "$0")/../.."
ROUNDS=${1:-3}
SECONDS_PER_RUN=${2:-8}
CPE=${3:-64}
THREADS=${4:-1}
PORT=17548
if [ "${RESUME:-0}" = 1 ]; then
  GW_RESUME=(--tls-tickets); SIM_RESUME=(); KIND="resumed handshakes after each CPE's first"
else
  GW_RESUME=(); SIM_RESUME=(--no-tls-resumption); KIND="full handshakes"
fi

command -v openssl >/dev/null || { echo "openssl is missing: apt-get install -y openssl" >&2; exit 1; }
if [ -z "${BIN:-}" ]; then
  cargo build -q --release -p gateway --bin cwmp2usp
  BIN=${CARGO_TARGET_DIR:-target}/release/cwmp2usp
fi
SIM_BIN=${SIM_BIN:-$BIN}

WORK=$(mktemp -d /dev/shm/cwmp2usp-https.XXXXXX)
GW=""
trap '[ -n "$GW" ] && kill $GW 2>/dev/null; rm -rf "$WORK"' EXIT

# A throwaway CA and a P-256 leaf for 127.0.0.1 (SEC1 keys, as openssl
# writes them).
(
  cd "$WORK"
  openssl ecparam -name prime256v1 -genkey -noout -out ca.key
  openssl req -x509 -new -key ca.key -subj /CN=bench-ca -days 1 -out ca.pem
  openssl ecparam -name prime256v1 -genkey -noout -out acs.key
  openssl req -new -key acs.key -subj /CN=127.0.0.1 -out acs.csr
  printf 'subjectAltName=IP:127.0.0.1\n' > san.ext
  openssl x509 -req -in acs.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 1 \
    -extfile san.ext -out acs.pem
) 2>/dev/null

taskset -c 1 "$BIN" run --cwmp-listen none --cwmp-tls-listen 127.0.0.1:$PORT \
  --tls-cert "$WORK/acs.pem" --tls-key "$WORK/acs.key" --cwmp-auth none \
  --data-dir "$WORK/data" "${GW_RESUME[@]}" > "$WORK/gw.out" &
GW=$!
for _ in $(seq 100); do grep -q '"ready"' "$WORK/gw.out" 2>/dev/null && break; sleep 0.1; done
grep -q '"ready"' "$WORK/gw.out" || { echo "gateway did not start" >&2; exit 1; }

# User + system clock ticks the gateway has used so far.
ticks() { awk '{print $14 + $15}' "/proc/$GW/stat"; }
HZ=$(getconf CLK_TCK)

runs=(); per_cpu=(); per_sim=()
for r in $(seq "$ROUNDS"); do
  t0=$(ticks)
  line=$(/usr/bin/time -f "%U %S" -o "$WORK/sim.cpu" taskset -c 0 "$SIM_BIN" sim --threads "$THREADS" --acs "https://127.0.0.1:$PORT/" \
          --acs-ca "$WORK/ca.pem" "${SIM_RESUME[@]}" --count "$CPE" --interval 0 --no-bootstrap \
          --serial-prefix "R$r-" --progress 0 --duration "$SECONDS_PER_RUN" 2>/dev/null | tail -1)
  rate=$(sed -n 's/.*"sessions_per_second":\([0-9.]*\).*/\1/p' <<<"$line")
  failed=$(sed -n 's/.*"sessions_failed":\([0-9]*\).*/\1/p' <<<"$line")
  done_=$(sed -n 's/.*"sessions_completed":\([0-9]*\).*/\1/p' <<<"$line")
  resumed=$(sed -n 's/.*"tls_resumed":\([0-9]*\).*/\1/p' <<<"$line")
  cpu=$(awk -v n="$done_" -v t=$(( $(ticks) - t0 )) -v hz="$HZ" 'BEGIN{printf "%.0f", n * hz / t}')
  sim_cpu=$(awk -v n="$done_" '{printf "%.0f", n / ($1 + $2)}' "$WORK/sim.cpu")
  echo "round $r: $rate sessions/s ($failed failed, $resumed of $done_ resumed), $cpu per gateway CPU-second, $sim_cpu per sim CPU-second"
  runs+=("$rate"); per_cpu+=("$cpu"); per_sim+=("$sim_cpu")
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}'; }
echo "median: $(median "${runs[@]}") new HTTPS sessions/s, $(median "${per_cpu[@]}") per gateway CPU-second, $(median "${per_sim[@]}") per sim CPU-second (ECDSA P-256, $KIND, $CPE CPE)"
