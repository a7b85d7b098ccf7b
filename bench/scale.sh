#!/usr/bin/env bash
# Many PDUs in one pdusim, each at its own loopback address (--count N --spread address):
# start-up time, resident memory, and GET latency to the last PDU against a lone PDU.
#
#   bench/scale.sh                      # N = 1000 10000 100000, about 2 minutes
#   COUNTS="1000 10000" bench/scale.sh
#
# Knobs (environment): COUNTS, OUTLETS (24), DURATION seconds per latency cell (3), ROUNDS (3:
# lone, last, last, lone, ... interleaved so machine noise hits both alike), SKIP_BUILD=1,
# PDUSIM=path LOADGEN=path, KEEP=1.
#
# For each N it starts `pdusim serve --listen 127.1.0.1:PORT --count N --spread address
# --outlets 24` on a fresh state directory and takes: the start-up time pdusim prints (from
# the start of the command to listening; PDUs are lazy, each made at its first request), resident memory (VmRSS) once
# listening, p50/p99 of an SNMPv3 authPriv GET of sysName.0 to PDU #N with one client
# (`pdu-conformance load`) beside the same against a lone PDU in its own process, and a walk
# of the outlet table of every 1000th PDU with net-snmp's snmpwalk, which must see 24 outlets
# at each.
set -euo pipefail

COUNTS=${COUNTS:-"1000 10000 100000"}
OUTLETS=${OUTLETS:-24}
DURATION=${DURATION:-3}
ROUNDS=${ROUNDS:-3}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
V3=(-v 3 -u bench -a sha -A authpass123 -x aes -X privpass123)
STATE_OID=1.3.6.1.4.1.13742.6.4.1.2.1.3.1   # Raritan outletSwitchingState

say() { printf '%s\n' "$*" >&2; }
die() { say "scale.sh: $*"; exit 1; }

if ! command -v snmpwalk >/dev/null; then
    say "installing net-snmp's tools (snmp)..."
    SUDO=""
    [[ $(id -u) == 0 ]] || SUDO=sudo
    $SUDO apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq snmp >/dev/null
fi
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
if [[ -z ${PDUSIM:-} || -z ${LOADGEN:-} ]]; then
    if [[ ${SKIP_BUILD:-0} != 1 ]]; then
        say "building pdusim and pdu-conformance (release)..."
        (cd "$ROOT" && cargo build --release -q -p pdusim -p pdu-conformance)
    fi
    PDUSIM=${PDUSIM:-$TARGET_DIR/release/pdusim}
    LOADGEN=${LOADGEN:-$TARGET_DIR/release/pdu-conformance}
fi

WORK=$(mktemp -d /tmp/pdu-scale.XXXXXX)
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
    if [[ ${KEEP:-0} == 1 ]]; then say "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

port_in_use() {
    local hex
    hex=$(printf '%04X' "$1")
    grep -qi "^ *[0-9]*: [0-9A-F]*:$hex " /proc/net/udp /proc/net/udp6 2>/dev/null
}
free_port() {
    local p
    for _ in $(seq 200); do
        p=$((20000 + RANDOM % 40000))
        port_in_use "$p" || { echo "$p"; return; }
    done
    die "no free UDP port found"
}
# The address of PDU #k (from 1) of a spread from 127.1.0.1.
address_of() {
    local a=$((0x7f010000 + $1))
    printf '%d.%d.%d.%d' $((a >> 24 & 255)) $((a >> 16 & 255)) $((a >> 8 & 255)) $((a & 255))
}
# start NAME LOG ARGS...: starts pdusim, waits for its banner, prints its PID.
start() {
    local log=$1
    shift
    "$PDUSIM" serve "$@" >"$log" 2>&1 &
    local pid=$!
    PIDS+=("$pid")
    for _ in $(seq 1200); do
        grep -q 'listening on' "$log" && { echo "$pid"; return; }
        kill -0 "$pid" 2>/dev/null || die "pdusim exited: $(cat "$log")"
        sleep 0.1
    done
    die "pdusim did not start within 120 s: $(cat "$log")"
}
stop() {
    kill "$1" 2>/dev/null || true
    wait "$1" 2>/dev/null || true
}
# latency HOST PORT: "p50 p99" in microseconds of DURATION seconds of v3 GETs, one client.
latency() {
    "$LOADGEN" load --host "$1" --port "$2" "${V3[@]}" --oid 1.3.6.1.2.1.1.5.0 \
        --duration "$DURATION" --json -q |
        python3 -c 'import json,sys; s=json.load(sys.stdin); assert s["errors"]==0, s; print(s["p50_us"], s["p99_us"])'
}
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

LONE_PORT=$(free_port)
lone=$(start "$WORK/lone.log" --listen "127.0.0.1:$LONE_PORT" --outlets "$OUTLETS" \
    --user bench:sha:authpass123:aes:privpass123 --state-dir "$WORK/lone")

printf '| PDUs | start-up s | resident MiB | GET p50 / p99 µs, PDU #N | GET p50 / p99 µs, lone PDU | p99 ratio | walked every 1000th |\n'
printf '|---:|---:|---:|---|---|---:|---|\n'
for n in $COUNTS; do
    port=$(free_port)
    say "$n PDUs..."
    pid=$(start "$WORK/many.log" --listen "127.1.0.1:$port" --count "$n" --spread address \
        --outlets "$OUTLETS" --user bench:sha:authpass123:aes:privpass123 --state-dir "$WORK/many-$n")
    secs=$(sed -n 's/.*started in \([0-9.]*\) s.*/\1/p' "$WORK/many.log" | head -1)
    rss_kb=$(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status")
    last=$(address_of "$n")
    : >"$WORK/far" && : >"$WORK/near"
    for round in $(seq "$ROUNDS"); do
        if ((round % 2)); then
            latency 127.0.0.1 "$LONE_PORT" >>"$WORK/near"; latency "$last" "$port" >>"$WORK/far"
        else
            latency "$last" "$port" >>"$WORK/far"; latency 127.0.0.1 "$LONE_PORT" >>"$WORK/near"
        fi
    done
    far50=$(cut -d' ' -f1 "$WORK/far" | median); far99=$(cut -d' ' -f2 "$WORK/far" | median)
    near50=$(cut -d' ' -f1 "$WORK/near" | median); near99=$(cut -d' ' -f2 "$WORK/near" | median)
    walked=0
    for k in $(seq 1 1000 "$n"); do
        outlets=$(snmpwalk "${V3[@]}" -l authPriv -On -t 5 -r 1 "$(address_of "$k"):$port" "$STATE_OID" | grep -c 'INTEGER')
        [[ $outlets == "$OUTLETS" ]] || die "PDU #$k at $(address_of "$k"):$port: walked $outlets outlets, expected $OUTLETS"
        walked=$((walked + 1))
    done
    stop "$pid"
    awk -v n="$n" -v s="$secs" -v r="$rss_kb" -v f50="$far50" -v f99="$far99" -v n50="$near50" -v n99="$near99" -v w="$walked" \
        'BEGIN {printf "| %d | %s | %.0f | %.1f / %.1f | %.1f / %.1f | %.2f | %d PDUs x %d outlets |\n", n, s, r / 1024, f50, f99, n50, n99, f99 / n99, w, '"$OUTLETS"'}'
done
stop "$lone"
