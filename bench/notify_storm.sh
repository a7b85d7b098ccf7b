#!/usr/bin/env bash
# Request latency during a notification storm: N PDUs (default 10,000) in one pdusim process,
# each with a v2c trap target, and one control-API call (PUT /outlets/1) that switches outlet 1
# of every PDU, so every PDU sends a notification at the same moment. The load generator reads
# sysDescr.0 from PDU #N throughout; its p99 is measured without storms, then with a storm
# one storm a second into the measurement, alternating, ROUNDS times.
#
#   bench/notify_storm.sh                  # about 2 minutes after the release build
#   COUNT=1000 ROUNDS=1 bench/notify_storm.sh
#
# Knobs: COUNT (10000), OUTLETS (24), DURATION seconds per measurement (6), ROUNDS (2),
# CONCURRENCY load workers (2), SKIP_BUILD=1,
# PDUSIM=path LOADGEN=path. The receiver is pdu-conformance listen (it decodes every trap).
set -euo pipefail

COUNT=${COUNT:-10000}
OUTLETS=${OUTLETS:-24}
DURATION=${DURATION:-6}
ROUNDS=${ROUNDS:-2}
CONCURRENCY=${CONCURRENCY:-2}
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

# The receiver on a port the system picks; it says which on stderr.
"$LOADGEN" listen --port 0 >"$work/received" 2>"$work/listen.err" &
pids+=($!)
for _ in $(seq 100); do
    grep -q "listening on" "$work/listen.err" 2>/dev/null && break
    sleep 0.1
done
sink=$(sed -n 's/^listening on \([0-9.:]*\) .*/\1/p' "$work/listen.err")
[[ -n $sink ]] || { echo "the receiver did not start: $(cat "$work/listen.err")" >&2; exit 1; }

# N PDUs on consecutive ports from a base below the ephemeral range.
base=${BASE_PORT:-21000}
"$PDUSIM" serve --vendor eaton-epdu --outlets "$OUTLETS" --count "$COUNT" \
    --listen "127.0.0.1:$base" --community public --community private:rw \
    --notify "$sink" --control 127.0.0.1:0 --state-dir "$work/state" \
    >"$work/pdusim.out" 2>"$work/pdusim.err" &
server=$!
pids+=($server)
for _ in $(seq 600); do
    grep -q "control API" "$work/pdusim.out" 2>/dev/null && break
    kill -0 "$server" 2>/dev/null || { cat "$work/pdusim.err" >&2; exit 1; }
    sleep 0.1
done
control=$(sed -n 's|.*control API: \(http://[0-9.:]*\)/pdus|\1|p' "$work/pdusim.out")
last_port=$((base + COUNT - 1))
# Let the start-up coldStarts drain.
for _ in $(seq 300); do
    [[ $(wc -l <"$work/received") -ge $COUNT ]] && break
    sleep 0.1
done

power=off
measure() { # $1: label, $2: storm (0/1)
    local storm=$2 stormer=""
    if [[ $storm == 1 ]]; then
        # One storm, a second into the measurement: every PDU's outlet 1 changes at once.
        (
            sleep 1
            start=$(date +%s.%N)
            curl -s -X PUT -H 'content-type: application/json' \
                -d "{\"power\":\"$power\"}" "$control/outlets/1" >"$work/storm.json"
            end=$(date +%s.%N)
            echo "$start $end" >"$work/storm.time"
        ) &
        stormer=$!
    fi
    local before
    before=$(wc -l <"$work/received")
    "$LOADGEN" load --host 127.0.0.1 --port "$last_port" --snmp-version 2c --community public \
        --oid 1.3.6.1.2.1.1.1.0 --concurrency "$CONCURRENCY" --duration "$DURATION" \
        --json --quiet >"$work/load.json" 2>"$work/load.err" || true
    [[ -s $work/load.json ]] || { echo "load failed: $(cat "$work/load.err")" >&2; exit 1; }
    if [[ -n $stormer ]]; then
        wait "$stormer" || true
        [[ $power == off ]] && power=on || power=off
        sleep 2 # the last notifications reach the receiver
    fi
    local after
    after=$(wc -l <"$work/received")
    local storm_info=""
    if [[ $storm == 1 ]]; then
        storm_info=$(python3 -c "import json,sys; t=open('$work/storm.time').read().split(); print(f\"storm call {float(t[1])-float(t[0]):.2f} s, {json.load(open('$work/storm.json'))['changed']} PDUs switched,\")")
        rm -f "$work/storm.time" "$work/storm.json"
    fi
    python3 - "$1" "$work/load.json" "$((after - before))" "$storm_info" <<'EOF'
import json, sys
label, path, received, storm = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
j = json.load(open(path))
print(f"{label:<7} {j['requests_per_second']:>7.0f} req/s  p50 {j['p50_us']:>5.0f} us  "
      f"p99 {j['p99_us']:>6.0f} us  max {j['max_us']:>7.0f} us  errors {j['errors']}  "
      f"{storm} traps received {received}")
EOF
}

echo "$COUNT PDUs x $OUTLETS outlets, v2c GET sysDescr.0 of PDU #$COUNT, $CONCURRENCY workers, ${DURATION}s each"
for round in $(seq "$ROUNDS"); do
    measure "quiet" 0
    measure "storms" 1
done
