#!/usr/bin/env bash
# A/B: two pdusim builds side by side, driven by the same load generator in the same run,
# interleaved (A then B, then B then A, ...) so machine noise hits both alike. For "did this
# change make the request path slower?".
#
#   bench/ab.sh OLD_PDUSIM NEW_PDUSIM            # e.g. a worktree's target/release/pdusim
#
#   A_ARGS= B_ARGS=--batch-io bench/ab.sh target/release/pdusim target/release/pdusim
#
# Knobs: ROUNDS (4), DURATION (seconds per cell, 3), CLIENTS (concurrencies, "1 4"), A_ARGS and
# B_ARGS (extra `pdusim serve` flags for each side), LOADGEN (pdu-conformance binary; default:
# this workspace's release build, built when missing).
# Prints, per scenario: requests/s of each (sum over rounds / time), median p50 and p99 latency,
# server CPU µs per request (from /proc/PID/task/*/schedstat), errors, and B/A.
set -euo pipefail
cd "$(dirname "$0")/.."

A=${1:?usage: bench/ab.sh OLD_PDUSIM NEW_PDUSIM}
B=${2:?usage: bench/ab.sh OLD_PDUSIM NEW_PDUSIM}
ROUNDS=${ROUNDS:-4}
DURATION=${DURATION:-3}
CLIENTS=${CLIENTS:-"1 4"}
LOADGEN=${LOADGEN:-target/release/pdu-conformance}
[[ -x $LOADGEN ]] || cargo build -q --release -p pdu-conformance
for bin in "$A" "$B"; do [[ -x $bin ]] || { echo "ab.sh: no pdusim binary at $bin" >&2; exit 1; }; done

tmp=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$tmp"; }
trap cleanup EXIT

# Starts one pdusim on 127.0.0.1:0 and prints "PID PORT" once it is listening.
start() {
    local bin=$1 name=$2 out="$tmp/$2.out" extra=$3
    # shellcheck disable=SC2086
    "$bin" serve --listen 127.0.0.1:0 --state-dir "$tmp/$name" --community public --community private:rw \
        --user admin:sha:authpass123:aes:privpass123 $extra >"$out" 2>"$tmp/$name.err" &
    local pid=$! port=""
    for _ in $(seq 100); do
        port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$out" | head -1)
        [[ -n $port ]] && break
        sleep 0.1
    done
    [[ -n $port ]] || { echo "ab.sh: $bin did not start: $(cat "$tmp/$name.err")" >&2; exit 1; }
    echo "$pid $port"
}
read -r PID_A PORT_A < <(start "$A" a "${A_ARGS:-}"); pids+=("$PID_A")
read -r PID_B PORT_B < <(start "$B" b "${B_ARGS:-}"); pids+=("$PID_B")

cpu_ns() { cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{s += $1} END {printf "%.0f\n", s}'; }
jget() { sed -n "s/.*\"$1\":\([^,}]*\).*/\1/p" <<<"$2"; }

V3="--snmp-version 3 --user admin --auth sha --auth-key authpass123 --priv aes --priv-key privpass123"
SCENARIOS=(
    "v3 GET 1 vb|$V3 --oid 1.3.6.1.2.1.1.1.0"
    "v3 GETBULK 24|$V3 --op getbulk --max-repetitions 24 --oid 1.3.6.1.2.1.1"
    "v3 SET|$V3 --op set --oid 1.3.6.1.4.1.13742.6.4.1.2.1.2.1.1 --set-value i:1"
    "v2c GET 1 vb|--snmp-version 2c --community public --oid 1.3.6.1.2.1.1.1.0"
)

run_cell() { # scenario-index concurrency who port pid
    local spec=${SCENARIOS[$1]} json before after
    before=$(cpu_ns "$5")
    # shellcheck disable=SC2086
    json=$("$LOADGEN" load --host 127.0.0.1 --port "$4" ${spec#*|} --concurrency "$2" \
        --duration "$DURATION" --timeout 1 --json --quiet) || true
    after=$(cpu_ns "$5")
    [[ -n $json ]] || { echo "ab.sh: the load generator failed against $3 (${spec%%|*})" >&2; exit 1; }
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$(jget requests "$json")" \
        "$(jget seconds "$json")" "$(jget p50_us "$json")" "$(jget p99_us "$json")" \
        "$(jget errors "$json")" "$((after - before))" >>"$tmp/results"
}

echo "pdusim A/B — $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs, $ROUNDS round(s) x ${DURATION}s per cell, interleaved"
echo "A: $A ${A_ARGS:-}"
echo "B: $B ${B_ARGS:-}"
for round in $(seq "$ROUNDS"); do
    for i in "${!SCENARIOS[@]}"; do
        for conc in $CLIENTS; do
            if (( round % 2 )); then order="A B"; else order="B A"; fi
            for who in $order; do
                if [[ $who == A ]]; then run_cell "$i" "$conc" A "$PORT_A" "$PID_A"
                else run_cell "$i" "$conc" B "$PORT_B" "$PID_B"; fi
            done
        done
    done
done

printf '\n%-14s %3s | %9s %9s %6s | %6s %6s | %6s %6s | %7s %7s | %4s %4s\n' scenario cli "A req/s" "B req/s" "B/A" \
    "A p50" "B p50" "A p99" "B p99" "A cpu" "B cpu" "A er" "B er"
for i in "${!SCENARIOS[@]}"; do
    for conc in $CLIENTS; do
        awk -F'\t' -v i="$i" -v c="$conc" -v name="${SCENARIOS[$i]%%|*}" '
            $1 == i && $2 == c { req[$3] += $4; secs[$3] += $5; err[$3] += $8; cpu[$3] += $9
                                 n[$3]++; p50[$3, n[$3]] = $6; p99[$3, n[$3]] = $7 }
            function median(who, arr,   k, m, t, v) {
                m = n[who]; for (k = 1; k <= m; k++) v[k] = arr[who, k]
                for (k = 1; k <= m; k++) for (t = k + 1; t <= m; t++) if (v[t] < v[k]) { x = v[k]; v[k] = v[t]; v[t] = x }
                return (m % 2) ? v[(m + 1) / 2] : (v[m / 2] + v[m / 2 + 1]) / 2
            }
            END {
                ra = req["A"] / secs["A"]; rb = req["B"] / secs["B"]
                printf "%-14s x%-2d | %9.0f %9.0f %5.2fx | %6.0f %6.0f | %6.0f %6.0f | %7.1f %7.1f | %4d %4d\n",
                    name, c, ra, rb, rb / ra, median("A", p50), median("B", p50), median("A", p99), median("B", p99),
                    cpu["A"] / 1000 / req["A"], cpu["B"] / 1000 / req["B"], err["A"], err["B"]
            }' "$tmp/results"
    done
done
echo "(latency in µs; cpu = server CPU µs per request)"
