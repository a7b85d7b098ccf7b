#!/usr/bin/env bash
# Does control-API activity delay SNMP answers? One pdusim (PX2, 24 outlets, a state
# directory, so every outlet change writes and waits for outlets.toml) answers a v3 authPriv
# GET load (pdu-conformance load, CONCURRENCY workers) for DURATION seconds quiet, then for
# DURATION seconds while CALLERS shell loops switch outlets through the control API
# (PUT /pdus/{pdu}/outlets/{n}, each waiting for its state write) as fast as they are answered.
# Prints both runs' rate and latency percentiles and the control calls made. ROUNDS times.
#
#   bench/control_api_load.sh
#   DURATION=5 ROUNDS=1 SKIP_BUILD=1 bench/control_api_load.sh
#
# Knobs: DURATION (8), ROUNDS (2), CONCURRENCY (2), CALLERS (4), SKIP_BUILD=1,
# PDUSIM=path LOADGEN=path, EXTRA="pdusim flags" (e.g. a durability setting).
set -euo pipefail

DURATION=${DURATION:-8}
ROUNDS=${ROUNDS:-2}
CONCURRENCY=${CONCURRENCY:-2}
CALLERS=${CALLERS:-4}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

if [[ -z ${PDUSIM:-} || -z ${LOADGEN:-} ]]; then
    if [[ ${SKIP_BUILD:-0} != 1 ]]; then
        (cd "$ROOT" && cargo build --release -p pdusim -p pdu-conformance >&2)
    fi
    target=${CARGO_TARGET_DIR:-$ROOT/target}
    PDUSIM=${PDUSIM:-$target/release/pdusim}
    LOADGEN=${LOADGEN:-$target/release/pdu-conformance}
fi

work=$(mktemp -d)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

AUTH=bench-auth-pass
PRIV=bench-priv-pass
# shellcheck disable=SC2086
"$PDUSIM" serve --vendor raritan-px2 --outlets 24 --listen 127.0.0.1:0 \
    --user "bench:sha:$AUTH:aes:$PRIV" --control 127.0.0.1:0 --state-dir "$work/state" ${EXTRA:-} \
    >"$work/pdusim.out" 2>"$work/pdusim.err" &
server=$!
pids+=($server)
for _ in $(seq 300); do
    grep -q "control API" "$work/pdusim.out" 2>/dev/null && break
    kill -0 "$server" 2>/dev/null || { cat "$work/pdusim.err" >&2; exit 1; }
    sleep 0.1
done
control=$(sed -n 's|.*control API: \(http://[0-9.:]*\)/pdus|\1|p' "$work/pdusim.out")
port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$work/pdusim.out" | head -1)
pdu=$(curl -sf "$control/pdus" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["name"])')

caller() { # $1: first outlet; loops until $work/stop exists, counting calls
    local n=0 outlet power=off
    while [[ ! -e $work/stop ]]; do
        outlet=$(($1 + (n % 6)))
        curl -sf -X PUT -H 'content-type: application/json' -d "{\"power\":\"$power\"}" \
            "$control/pdus/$pdu/outlets/$outlet" >/dev/null || echo failed >>"$work/failures"
        [[ $power == off ]] && power=on || power=off
        n=$((n + 1))
    done
    echo "$n" >>"$work/calls"
}

measure() { # $1: label, $2: with control calls (0/1)
    rm -f "$work/stop" "$work/calls" "$work/failures"
    local callers=()
    if [[ $2 == 1 ]]; then
        for c in $(seq "$CALLERS"); do
            caller $((1 + (c - 1) * 6 % 24)) &
            callers+=($!)
        done
    fi
    "$LOADGEN" load --host 127.0.0.1 --port "$port" --snmp-version 3 --user bench --auth sha --auth-key "$AUTH" \
        --priv aes --priv-key "$PRIV" --oid 1.3.6.1.2.1.1.1.0 --concurrency "$CONCURRENCY" \
        --duration "$DURATION" --json --quiet >"$work/load.json" 2>"$work/load.err" || true
    touch "$work/stop"
    for c in "${callers[@]}"; do wait "$c" || true; done
    [[ -s $work/load.json ]] || { echo "load failed: $(cat "$work/load.err")" >&2; exit 1; }
    local calls=0 failures=0
    [[ -e $work/calls ]] && calls=$(awk '{s+=$1} END {print s}' "$work/calls")
    [[ -e $work/failures ]] && failures=$(wc -l <"$work/failures")
    python3 - "$1" "$work/load.json" "$calls" "$failures" "$DURATION" <<'PY'
import json, sys
label, path, calls, failures, duration = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])
j = json.load(open(path))
extra = f"  control calls {calls} ({calls / duration:.0f}/s, {failures} failed)" if label != "quiet" else ""
print(f"{label:<8} {j['requests_per_second']:>7.0f} req/s  p50 {j['p50_us']:>5.0f} us  "
      f"p99 {j['p99_us']:>6.0f} us  max {j['max_us']:>7.0f} us  errors {j['errors']}{extra}")
PY
}

echo "v3 authPriv GET sysDescr.0, $CONCURRENCY workers, ${DURATION}s per run; $CALLERS control-API callers switching outlets"
for _ in $(seq "$ROUNDS"); do
    measure quiet 0
    measure control 1
done
