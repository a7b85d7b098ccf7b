#!/usr/bin/env bash
# Soak: DURATION seconds (60) of four v3 authPriv clients (pdu-conformance load: GET, GETNEXT,
# GETBULK and SET of outlet 1, each its own process) against one pdusim with a state
# directory, while the control API rotates a fault every second (drop-request,
# drop-response, delay 30 ms, agent-down for 300 ms, then none) and flips outlets 2-8 on and off.
#
# Fails (exit 1) on:
#   - any wrong answer: any client error other than a timeout (those faults only lose or
#     delay answers, so a timeout is the expected effect; a wrong error-status, Report,
#     digest, varbind, request-id or decoding is not);
#   - a crash: pdusim not running at the end;
#   - a stuck worker: a client that answered nothing in some second-long stretch does not show
#     as such here, but a client that does not finish within DURATION+15 s, or that completed
#     fewer than MIN_OK requests, or a pdusim that does not answer a GET within 2 s once the
#     faults are cleared, does;
#   - a control API call that fails.
#
#   bench/soak.sh                    # release build first, then DURATION s
#   DURATION=20 SKIP_BUILD=1 bench/soak.sh
#
# Knobs: DURATION (60), MIN_OK per client (100), SKIP_BUILD=1, PDUSIM=path LOADGEN=path.
set -euo pipefail

DURATION=${DURATION:-60}
MIN_OK=${MIN_OK:-100}
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

fail() {
    echo "SOAK FAILED: $*" >&2
    exit 1
}

AUTH=soak-auth-pass
PRIV=soak-priv-pass
"$PDUSIM" serve --vendor raritan-px2 --outlets 8 --listen 127.0.0.1:0 \
    --user "soak:sha:$AUTH:aes:$PRIV" --control 127.0.0.1:0 --state-dir "$work/state" \
    >"$work/pdusim.out" 2>"$work/pdusim.err" &
server=$!
pids+=($server)
for _ in $(seq 300); do
    grep -q "control API" "$work/pdusim.out" 2>/dev/null && break
    kill -0 "$server" 2>/dev/null || fail "pdusim did not start: $(cat "$work/pdusim.err")"
    sleep 0.1
done
control=$(sed -n 's|.*control API: \(http://[0-9.:]*\)/pdus|\1|p' "$work/pdusim.out")
[[ -n $control ]] || fail "no control API address in: $(cat "$work/pdusim.out")"
port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$work/pdusim.out" | head -1)
[[ -n $port ]] || fail "no SNMP port in: $(cat "$work/pdusim.out")"
pdu=$(curl -sf "$control/pdus" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["name"])')

# The four clients.
PX2_OUTLET=1.3.6.1.4.1.13742.6.4.1.2.1
common=(load --host 127.0.0.1 --port "$port" --snmp-version 3 --user soak --auth sha --auth-key "$AUTH"
    --priv aes --priv-key "$PRIV" --duration "$DURATION" --timeout-ms 500 --json --quiet)
clients=(get getnext getbulk set)
for op in "${clients[@]}"; do
    case $op in
    get) args=(--op get --oid 1.3.6.1.2.1.1.1.0 1.3.6.1.2.1.1.3.0 "$PX2_OUTLET.3.1.1") ;;
    getnext) args=(--op getnext --oid "$PX2_OUTLET.3.1") ;;
    getbulk) args=(--op getbulk --max-repetitions 16 --oid "$PX2_OUTLET.3.1") ;;
    set) args=(--op set --oid "$PX2_OUTLET.2.1.1" --set-value i:1) ;;
    esac
    timeout $((DURATION + 15)) "$LOADGEN" "${common[@]}" "${args[@]}" \
        >"$work/$op.json" 2>"$work/$op.err" &
    echo $! >"$work/$op.pid"
done

# Faults rotate every second; outlets 2-8 flip.
faults=('{"kind":"drop-request"}' '{"kind":"drop-response"}' '{"kind":"delay","ms":30}'
    '{"kind":"agent-down"}' '')
calls=0
end=$((SECONDS + DURATION))
tick=0
while ((SECONDS < end)); do
    kill -0 "$server" 2>/dev/null || fail "pdusim exited during the soak: $(tail -5 "$work/pdusim.err")"
    curl -sf -X DELETE "$control/pdus/$pdu/faults" >/dev/null || fail "DELETE faults failed"
    fault=${faults[$((tick % ${#faults[@]}))]}
    if [[ -n $fault ]]; then
        schedule='{}'
        [[ $fault == *agent-down* ]] && schedule='{"for_ms":300}'
        curl -sf -X POST -H 'content-type: application/json' \
            -d "{\"fault\":$fault,\"schedule\":$schedule}" "$control/pdus/$pdu/faults" >/dev/null ||
            fail "POST fault $fault failed"
    fi
    outlet=$((2 + tick % 7))
    power=$([[ $(((tick / 7) % 2)) == 0 ]] && echo off || echo on)
    curl -sf -X PUT -H 'content-type: application/json' -d "{\"power\":\"$power\"}" \
        "$control/pdus/$pdu/outlets/$outlet" >/dev/null || fail "PUT outlet $outlet failed"
    calls=$((calls + 3))
    tick=$((tick + 1))
    sleep 1
done
curl -sf -X DELETE "$control/pdus/$pdu/faults" >/dev/null || fail "DELETE faults failed"

status=0
for op in "${clients[@]}"; do
    if ! wait "$(cat "$work/$op.pid")"; then
        [[ -s $work/$op.json ]] || fail "client $op did not finish (stuck?): $(cat "$work/$op.err")"
    fi
done
kill -0 "$server" 2>/dev/null || fail "pdusim is not running after the soak"
snmpget_ok=$("$LOADGEN" load --host 127.0.0.1 --port "$port" --snmp-version 3 --user soak --auth sha --auth-key "$AUTH" \
    --priv aes --priv-key "$PRIV" --requests 20 --timeout-ms 2000 --oid 1.3.6.1.2.1.1.1.0 \
    --json --quiet | python3 -c 'import json,sys; print(json.load(sys.stdin)["ok"])')
[[ $snmpget_ok == 20 ]] || fail "pdusim answered $snmpget_ok of 20 GETs after the soak"

echo "soak: ${DURATION}s, 4 v3 authPriv clients, $tick fault rotations, $calls control API calls"
python3 - "$work" "$MIN_OK" "${clients[@]}" <<'EOF' || status=1
import json, sys
work, min_ok, ops = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
bad = []
for op in ops:
    j = json.load(open(f"{work}/{op}.json"))
    kinds = j["errors_by_kind"]
    wrong = {k: v for k, v in kinds.items() if k != "timeout"}
    print(f"{op:<8} {j['requests']:>8} requests {j['ok']:>8} ok  {kinds.get('timeout', 0):>6} timeouts  "
          f"{j['requests_per_second']:>7.0f} req/s  p50 {j['p50_us']:>6.0f} us  p99 {j['p99_us']:>7.0f} us  "
          f"wrong {sum(wrong.values())} {wrong if wrong else ''}")
    if wrong:
        bad.append(f"{op}: wrong answers {wrong}")
    if j["ok"] < min_ok:
        bad.append(f"{op}: only {j['ok']} requests answered (stuck worker?)")
for b in bad:
    print("SOAK FAILED:", b, file=sys.stderr)
sys.exit(1 if bad else 0)
EOF
exit $status
