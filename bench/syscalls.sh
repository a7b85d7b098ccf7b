#!/usr/bin/env bash
# System calls per request of pdusim, with and without --batch-io, under load from several
# clients: pdusim runs under `strace -c -f` while `pdu-conformance load` sends REQUESTS SNMPv3
# authPriv GETs of sysDescr.0 with CLIENTS concurrent clients; the calls strace counted (every
# thread) divided by the requests answered.
#
#   bench/syscalls.sh                          # about 1 minute after the release build
#   CLIENTS=8 REQUESTS=50000 bench/syscalls.sh
#
# Knobs: CLIENTS (4), REQUESTS (20000), MODES ("default batch"), SKIP_BUILD=1, PDUSIM=path
# LOADGEN=path. strace slows pdusim down many times over: read the counts, not the rates.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CLIENTS=${CLIENTS:-4}
REQUESTS=${REQUESTS:-20000}
MODES=${MODES:-"default batch"}
command -v strace >/dev/null || {
    SUDO=""
    [[ $(id -u) == 0 ]] || SUDO=sudo
    $SUDO apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq strace >/dev/null
}
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
if [[ -z ${PDUSIM:-} || -z ${LOADGEN:-} ]]; then
    [[ ${SKIP_BUILD:-0} == 1 ]] || (cd "$ROOT" && cargo build --release -q -p pdusim -p pdu-conformance)
    PDUSIM=${PDUSIM:-$TARGET_DIR/release/pdusim}
    LOADGEN=${LOADGEN:-$TARGET_DIR/release/pdu-conformance}
fi
WORK=$(mktemp -d /tmp/pdu-syscalls.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

printf '| mode | clients | requests answered | system calls | per request | top calls per request |\n'
printf '|---|---:|---:|---:|---:|---|\n'
for mode in $MODES; do
    extra=()
    [[ $mode == batch ]] && extra=(--batch-io)
    out="$WORK/$mode.out"
    strace -c -f -o "$WORK/$mode.strace" "$PDUSIM" serve --listen 127.0.0.1:0 --state-dir "$WORK/$mode" \
        --user admin:sha:authpass123:aes:privpass123 "${extra[@]}" >"$out" 2>"$WORK/$mode.err" &
    tracer=$!
    port=""
    for _ in $(seq 300); do
        port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$out" | head -1)
        [[ -n $port ]] && break
        sleep 0.1
    done
    [[ -n $port ]] || { echo "syscalls.sh: pdusim did not start: $(cat "$WORK/$mode.err")" >&2; exit 1; }
    # Discovery and key localisation happen before the count that matters: warm up first.
    "$LOADGEN" load --host 127.0.0.1 --port "$port" --snmp-version 3 --user admin --auth sha \
        --auth-key authpass123 --priv aes --priv-key privpass123 --oid 1.3.6.1.2.1.1.1.0 \
        --requests 200 --json --quiet >/dev/null
    json=$("$LOADGEN" load --host 127.0.0.1 --port "$port" --snmp-version 3 --user admin --auth sha \
        --auth-key authpass123 --priv aes --priv-key privpass123 --oid 1.3.6.1.2.1.1.1.0 \
        --concurrency "$CLIENTS" --requests "$REQUESTS" --timeout 5 --json --quiet)
    pkill -TERM -P "$tracer" 2>/dev/null || true
    wait "$tracer" 2>/dev/null || true
    answered=$(sed -n 's/.*"ok":\([0-9]*\).*/\1/p' <<<"$json")
    [[ -n $answered ]] || answered=$(sed -n 's/.*"requests":\([0-9]*\).*/\1/p' <<<"$json")
    total=$(awk '$NF == "total" {print $4}' "$WORK/$mode.strace")
    top=$(awk -v n="$answered" 'NR > 2 && $NF != "total" && $1 !~ /^-/ {
            printf "%s %.2f\n", $NF, $4 / n }' "$WORK/$mode.strace" |
        sort -k2 -gr | head -4 | awk '{printf "%s%s %s", (NR > 1 ? ", " : ""), $1, $2}')
    awk -v m="$mode" -v c="$CLIENTS" -v a="$answered" -v t="$total" -v top="$top" \
        'BEGIN {printf "| %s | %d | %d | %d | %.2f | %s |\n", m, c, a, t, t / a, top}'
done
