#!/usr/bin/env bash
# pdusim against net-snmp's snmpd, side by side on loopback, driven by the same clients in the
# same run, interleaved (pdusim, snmpd, snmpd, pdusim, ...) so machine noise hits both alike.
#
#   bench/compare.sh            # full run, about 4 minutes
#   QUICK=1 bench/compare.sh    # about 1 minute
#
# Knobs (environment): ROUNDS (3; QUICK 1), DURATION seconds per measurement (3; QUICK 2),
# LOOPS of net-snmp client invocations (50; QUICK 15), SKIP_BUILD=1, PDUSIM=path LOADGEN=path
# (use these binaries instead of building), KEEP=1 (keep the temp dir with configs and raw
# results). Installs net-snmp's snmp and snmpd packages with apt-get when they are missing.
#
# What is compared (both agents set up alike: same SHA/AES authPriv user, same community, same
# sysDescr/sysName/sysLocation/sysContact):
#   v3 authPriv GET of 1 varbind (sysDescr.0) and of 7 (sysDescr.0 .. sysServices.0);
#   v3 authPriv GETBULK, max-repetitions 24 from 1.3.6.1.2.1.1 (the system group and what
#     follows it: 24 varbinds from each agent; snmpd has no outlet table, and serving one
#     through pass_persist would measure a Perl/shell script, not snmpd);
#   v3 authPriv SET: pdusim switches outlet 1 on (switchingOperation.1 = 1), snmpd writes
#     sysContact.0 (left out of its config so it is writable);
#   v2c GET of sysDescr.0;
# each with 1 and with 4 concurrent clients (workers of `pdu-conformance load`), then net-snmp's
# own snmpget/snmpbulkget in a loop. Server CPU is the agent process's CPU time (from
# /proc/PID/task/*/schedstat, nanoseconds; /proc/PID/stat ticks where that is missing) over the
# measurement, divided by the requests answered.
set -euo pipefail

QUICK=${QUICK:-0}
if [[ $QUICK == 1 ]]; then
    ROUNDS=${ROUNDS:-1} DURATION=${DURATION:-2} LOOPS=${LOOPS:-15}
else
    ROUNDS=${ROUNDS:-3} DURATION=${DURATION:-3} LOOPS=${LOOPS:-50}
fi
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

AUTH_PASS=authpass123
PRIV_PASS=privpass123
USER_NAME=bench
SYS_DESCR="Raritan PX2 benchmark PDU"
SYS_NAME=bench-pdu
SYS_LOCATION="Lab rack 1"
SYS_CONTACT=lab-admin@example.com

say() { printf '%s\n' "$*" >&2; }
die() { say "compare.sh: $*"; exit 1; }

# --- what it needs ----------------------------------------------------------------------------
if ! command -v snmpd >/dev/null || ! command -v snmpget >/dev/null || ! command -v snmpbulkget >/dev/null; then
    say "installing net-snmp (snmp, snmpd)..."
    SUDO=""
    [[ $(id -u) == 0 ]] || SUDO=sudo
    $SUDO apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq snmp snmpd >/dev/null
fi
SNMPD=$(command -v snmpd || echo /usr/sbin/snmpd)

TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
if [[ -z ${PDUSIM:-} || -z ${LOADGEN:-} ]]; then
    if [[ ${SKIP_BUILD:-0} != 1 ]]; then
        say "building pdusim and pdu-conformance (release)..."
        (cd "$ROOT" && cargo build --release -q -p pdusim -p pdu-conformance)
    fi
    PDUSIM=${PDUSIM:-$TARGET_DIR/release/pdusim}
    LOADGEN=${LOADGEN:-$TARGET_DIR/release/pdu-conformance}
fi
[[ -x $PDUSIM ]] || die "no pdusim binary at $PDUSIM"
[[ -x $LOADGEN ]] || die "no pdu-conformance binary at $LOADGEN"

WORK=$(mktemp -d /tmp/pdu-compare.XXXXXX)
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
    if [[ ${KEEP:-0} == 1 ]]; then say "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

# --- free loopback ports ----------------------------------------------------------------------
port_in_use() {
    local hex
    hex=$(printf '%04X' "$1")
    grep -qi "^ *[0-9]*: [0-9A-F]*:$hex " /proc/net/udp /proc/net/udp6 2>/dev/null
}
free_port() {
    local p
    for _ in $(seq 200); do
        p=$((20000 + RANDOM % 40000))
        if ! port_in_use "$p" && [[ $p != "${TAKEN:-}" ]]; then echo "$p"; return; fi
    done
    die "no free UDP port found"
}
PDUSIM_PORT=$(free_port)
TAKEN=$PDUSIM_PORT
SNMPD_PORT=$(free_port)

# --- CPU time of a process, nanoseconds --------------------------------------------------------
cpu_ns() {
    local pid=$1 total=0 f v
    for f in /proc/"$pid"/task/*/schedstat; do
        read -r v _ <"$f" 2>/dev/null || continue
        total=$((total + v))
    done
    if ((total == 0)); then
        # utime + stime in 1/100 s ticks (fields 14 and 15, counted after the command name).
        local stat
        stat=$(<"/proc/$pid/stat")
        stat=${stat##*) }
        read -r -a f <<<"$stat"
        total=$(((f[11] + f[12]) * 10000000))
    fi
    echo "$total"
}

# --- pdusim -----------------------------------------------------------------------------------
cat >"$WORK/pdusim.toml" <<EOF
state_dir = "$WORK/pdusim-state"
[[pdu]]
name = "bench"
vendor = "raritan-px2"
listen = ["127.0.0.1:$PDUSIM_PORT"]
outlets = 24
initial_power = "on"
sys_descr = "$SYS_DESCR"
sys_name = "$SYS_NAME"
sys_location = "$SYS_LOCATION"
sys_contact = "$SYS_CONTACT"
[[pdu.community]]
name = "public"
access = "read-only"
[[pdu.community]]
name = "private"
access = "read-write"
[[pdu.user]]
name = "$USER_NAME"
auth = "sha"
auth_password = "$AUTH_PASS"
priv = "aes"
priv_password = "$PRIV_PASS"
access = "read-write"
EOF
RUST_LOG=warn "$PDUSIM" serve --config "$WORK/pdusim.toml" >"$WORK/pdusim.log" 2>&1 &
PDUSIM_PID=$!
PIDS+=("$PDUSIM_PID")

# --- snmpd: a throwaway config, no logging, no AgentX, persistent files in the temp dir -------
mkdir -p "$WORK/snmpd-persist"
cat >"$WORK/snmpd.conf" <<EOF
agentAddress udp:127.0.0.1:$SNMPD_PORT
dontLogTCPWrappersConnects yes
sysDescr $SYS_DESCR
sysName $SYS_NAME
sysLocation $SYS_LOCATION
sysServices 72
rocommunity public 127.0.0.1
rwcommunity private 127.0.0.1
createUser $USER_NAME SHA "$AUTH_PASS" AES "$PRIV_PASS"
rwuser $USER_NAME priv
EOF
# sysContact is left out of the config so that it stays writable (the SET benchmark writes it).
SNMP_PERSISTENT_DIR="$WORK/snmpd-persist" MIBS="" \
    "$SNMPD" -f -Ln -I -smux -C -c "$WORK/snmpd.conf" -p "$WORK/snmpd.pid" >"$WORK/snmpd.log" 2>&1 &
SNMPD_PID=$!
PIDS+=("$SNMPD_PID")

V3=(-v3 -l authPriv -u "$USER_NAME" -a SHA -A "$AUTH_PASS" -x AES -X "$PRIV_PASS")
wait_up() {
    local port=$1 name=$2
    for _ in $(seq 100); do
        if snmpget -v2c -c public -t 0.2 -r 0 "127.0.0.1:$port" 1.3.6.1.2.1.1.1.0 >/dev/null 2>&1; then
            return
        fi
        sleep 0.1
    done
    cat "$WORK/$name.log" >&2 || true
    die "$name did not answer on 127.0.0.1:$port"
}
wait_up "$PDUSIM_PORT" pdusim
wait_up "$SNMPD_PORT" snmpd
snmpset -v2c -c private -t 1 -r 1 "127.0.0.1:$SNMPD_PORT" 1.3.6.1.2.1.1.4.0 s "$SYS_CONTACT" >/dev/null \
    || die "cannot set snmpd's sysContact.0"

# Both agents, seen through net-snmp's client, before measuring.
for who in pdusim snmpd; do
    port=PDUSIM_PORT; [[ $who == snmpd ]] && port=SNMPD_PORT
    snmpget "${V3[@]}" -Oqv -t 1 -r 1 "127.0.0.1:${!port}" \
        1.3.6.1.2.1.1.1.0 1.3.6.1.2.1.1.5.0 1.3.6.1.2.1.1.6.0 1.3.6.1.2.1.1.4.0 \
        >"$WORK/$who.system" 2>&1 || die "$who does not answer SNMPv3 authPriv: $(cat "$WORK/$who.system")"
done
if ! cmp -s "$WORK/pdusim.system" "$WORK/snmpd.system"; then
    say "warning: the system groups differ:"; paste "$WORK/pdusim.system" "$WORK/snmpd.system" >&2
fi

# --- scenarios --------------------------------------------------------------------------------
SYSTEM7=()
for i in 1 2 3 4 5 6 7; do SYSTEM7+=("1.3.6.1.2.1.1.$i.0"); done
V3LOAD=(--snmp-version 3 --user "$USER_NAME" --auth sha --auth-key "$AUTH_PASS" --priv aes --priv-key "$PRIV_PASS")
OUTLET1_SWITCH=1.3.6.1.4.1.13742.6.4.1.2.1.2.1.1

# name | arguments for both | pdusim-only arguments | snmpd-only arguments
SCENARIOS=(
    "v3 GET 1 vb|${V3LOAD[*]} --oid 1.3.6.1.2.1.1.1.0||"
    "v3 GET 7 vbs|${V3LOAD[*]} --oid ${SYSTEM7[*]}||"
    "v3 GETBULK 24|${V3LOAD[*]} --op getbulk --max-repetitions 24 --oid 1.3.6.1.2.1.1||"
    "v3 SET|${V3LOAD[*]} --op set|--oid $OUTLET1_SWITCH --set-value i:1|--oid 1.3.6.1.2.1.1.4.0 --set-value s:$SYS_CONTACT"
    "v2c GET 1 vb|--snmp-version 2c --community public --oid 1.3.6.1.2.1.1.1.0||"
)

RESULTS="$WORK/results.tsv"
: >"$RESULTS"
jget() { sed -n "s/.*\"$1\":\([^,}]*\).*/\1/p" <<<"$2"; }

measure() { # scenario-index concurrency round who
    local idx=$1 conc=$2 round=$3 who=$4 name common own port pid json before after
    IFS='|' read -r name common pdusim_only snmpd_only <<<"${SCENARIOS[$idx]}"
    if [[ $who == pdusim ]]; then port=$PDUSIM_PORT pid=$PDUSIM_PID own=$pdusim_only
    else port=$SNMPD_PORT pid=$SNMPD_PID own=$snmpd_only; fi
    before=$(cpu_ns "$pid")
    # shellcheck disable=SC2086 # word splitting of the argument lists is wanted
    json=$("$LOADGEN" load --host 127.0.0.1 --port "$port" $common $own \
        --concurrency "$conc" --duration "$DURATION" --timeout 1 --json --quiet) || true
    after=$(cpu_ns "$pid")
    [[ -n $json ]] || die "the load generator failed against $who ($name)"
    local req rps p50 p99 errs secs ccpu
    req=$(jget requests "$json"); rps=$(jget requests_per_second "$json")
    p50=$(jget p50_us "$json"); p99=$(jget p99_us "$json"); errs=$(jget errors "$json")
    secs=$(jget seconds "$json"); ccpu=$(jget client_cpu_us_per_request "$json")
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$idx" "$conc" "$who" "$round" \
        "$req" "$secs" "$rps" "$p50" "$p99" "$((after - before))" "$errs" "$ccpu" >>"$RESULTS"
    if [[ $errs != 0 ]]; then
        say "  $who $name x$conc: $errs errors: $(sed -n 's/.*"errors_by_kind":\({[^}]*}\).*/\1/p' <<<"$json")"
    fi
}

say "pdusim pid $PDUSIM_PID on 127.0.0.1:$PDUSIM_PORT, snmpd pid $SNMPD_PID on 127.0.0.1:$SNMPD_PORT"
say "measuring: ${#SCENARIOS[@]} scenarios x 2 concurrencies x $ROUNDS rounds x 2 agents x ${DURATION}s..."
for idx in "${!SCENARIOS[@]}"; do
    for conc in 1 4; do
        for round in $(seq "$ROUNDS"); do
            # A B, then B A: neither agent always goes first.
            if (((round + idx + conc) % 2)); then order="pdusim snmpd"; else order="snmpd pdusim"; fi
            for who in $order; do measure "$idx" "$conc" "$round" "$who"; done
        done
    done
done

# --- net-snmp's own client in a loop ----------------------------------------------------------
LOOP_RESULTS="$WORK/loops.tsv"
: >"$LOOP_RESULTS"
netsnmp_loop() { # label who command... (@HOST@ stands for the agent's address)
    local label=$1 who=$2; shift 2
    local port pid before after t0 t1 fails=0 cmd=() arg
    if [[ $who == pdusim ]]; then port=$PDUSIM_PORT pid=$PDUSIM_PID; else port=$SNMPD_PORT pid=$SNMPD_PID; fi
    for arg in "$@"; do [[ $arg == @HOST@ ]] && cmd+=("127.0.0.1:$port") || cmd+=("$arg"); done
    before=$(cpu_ns "$pid")
    t0=$(date +%s%N)
    for _ in $(seq "$LOOPS"); do
        "${cmd[@]}" >/dev/null 2>&1 || fails=$((fails + 1))
    done
    t1=$(date +%s%N)
    after=$(cpu_ns "$pid")
    printf '%s\t%s\t%s\t%s\t%s\n' "$label" "$who" "$(((t1 - t0) / LOOPS))" "$(((after - before) / LOOPS))" "$fails" >>"$LOOP_RESULTS"
}
say "net-snmp clients: $LOOPS invocations each..."
for who in pdusim snmpd snmpd pdusim; do
    netsnmp_loop "snmpget v3 authPriv, 7 vbs" "$who" snmpget "${V3[@]}" -t 1 -r 0 @HOST@ "${SYSTEM7[@]}"
    netsnmp_loop "snmpbulkget v3 authPriv, -Cr24 system" "$who" snmpbulkget "${V3[@]}" -t 1 -r 0 -Cr24 @HOST@ 1.3.6.1.2.1.1
    netsnmp_loop "snmpget v2c, sysDescr.0" "$who" snmpget -v2c -c public -t 1 -r 0 @HOST@ 1.3.6.1.2.1.1.1.0
done

# --- the table --------------------------------------------------------------------------------
NAMES=$(for s in "${SCENARIOS[@]}"; do echo "${s%%|*}"; done | paste -sd'|')
CPU_MODEL=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
echo
echo "pdusim vs net-snmp snmpd $("$SNMPD" -v 2>/dev/null | sed -n 's/.*version: *//p' | head -1) — $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs ($CPU_MODEL), $(uname -sr)"
echo "$ROUNDS round(s) x ${DURATION}s per cell, interleaved; client: pdu-conformance load; GETBULK: 24 repetitions from 1.3.6.1.2.1.1 on both"
echo "SET: pdusim switchingOperation.1 = 1 (outlet on, persisted), snmpd sysContact.0"
awk -F'\t' -v names="$NAMES" '
function med(list,   n, a, i, j, t) {
    n = split(list, a, " ")
    for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
    return n ? a[int((n + 1) / 2)] : 0
}
{
    k = $1 SUBSEP $2 SUBSEP $3
    req[k] += $5; secs[k] += $6; cpu[k] += $10; err[k] += $11; ccpu[k] += $12 * $5
    p50[k] = p50[k] " " $8; p99[k] = p99[k] " " $9
    seen[$1 SUBSEP $2] = 1
}
END {
    split(names, name, "|")
    printf "\n%-15s %4s | %9s %9s %6s | %8s %8s | %8s %8s | %8s %8s | %6s %6s\n", "scenario", "cli", "req/s", "req/s", "ratio", "p50 µs", "p50 µs", "p99 µs", "p99 µs", "CPU µs", "CPU µs", "errors", "errors"
    printf "%-15s %4s | %9s %9s %6s | %8s %8s | %8s %8s | %8s %8s | %6s %6s\n", "", "", "pdusim", "snmpd", "", "pdusim", "snmpd", "pdusim", "snmpd", "pdusim", "snmpd", "pdusim", "snmpd"
    for (i = 0; i < 20; i++) for (c = 1; c <= 4; c += 3) {
        if (!((i SUBSEP c) in seen)) continue
        a = i SUBSEP c SUBSEP "pdusim"; b = i SUBSEP c SUBSEP "snmpd"
        ra = secs[a] ? req[a] / secs[a] : 0; rb = secs[b] ? req[b] / secs[b] : 0
        ca = req[a] ? cpu[a] / req[a] / 1000 : 0; cb = req[b] ? cpu[b] / req[b] / 1000 : 0
        printf "%-15s %4s | %9.0f %9.0f %5.2fx | %8.0f %8.0f | %8.0f %8.0f | %8.1f %8.1f | %6d %6d\n", name[i + 1], "x" c, ra, rb, (rb ? ra / rb : 0), med(p50[a]), med(p50[b]), med(p99[a]), med(p99[b]), ca, cb, err[a], err[b]
        if (c == 4) { rps4[i] = (rb ? ra / rb : 0) }
        cpua[i] += cpu[a]; reqa[i] += req[a]; cpub[i] += cpu[b]; reqb[i] += req[b]
        allerr += err[a]; allreq += req[a]
        clientcpu += ccpu[a] + ccpu[b]; clientreq += req[a] + req[b]
    }
    # Targets: the server CPU per v3 GET at most half of snmpd's, at least twice its throughput
    # with four clients, and no wrong answer.
    cpu_get = (reqa[0] && reqb[0]) ? (cpua[0] / reqa[0]) / (cpub[0] / reqb[0]) : 0
    printf "\nclient (pdu-conformance load) CPU: %.1f µs/request on average\n", clientreq ? clientcpu / clientreq : 0
    printf "RATIOS pdusim/snmpd: server CPU per v3 authPriv GET %.2f (target <= 0.50: %s); throughput x4 v3 GET %.2fx, GET7 %.2fx, GETBULK %.2fx, SET %.2fx, v2c GET %.2fx (target >= 2: v3 %s, v2c %s); pdusim errors %d of %d requests (target 0: %s)\n", \
        cpu_get, (cpu_get > 0 && cpu_get <= 0.5) ? "MET" : "NOT MET", \
        rps4[0], rps4[1], rps4[2], rps4[3], rps4[4], \
        (rps4[0] >= 2) ? "MET" : "NOT MET", (rps4[4] >= 2) ? "MET" : "NOT MET", \
        allerr, allreq, allerr == 0 ? "MET" : "NOT MET"
}' "$RESULTS"

echo
echo "net-snmp's own client, $LOOPS invocations per agent (each: a process start, key localization, engine discovery, the request):"
awk -F'\t' '
{ k = $1 SUBSEP $2; wall[k] += $3; cpu[k] += $4; fails[k] += $5; n[k]++; if (!($1 in seenl)) { seenl[$1] = 1; order[++m] = $1 } }
END {
    printf "%-40s | %12s %12s | %12s %12s | %6s %6s\n", "command", "ms/call", "ms/call", "srv µs/call", "srv µs/call", "fails", "fails"
    printf "%-40s | %12s %12s | %12s %12s | %6s %6s\n", "", "pdusim", "snmpd", "pdusim", "snmpd", "pdusim", "snmpd"
    for (i = 1; i <= m; i++) {
        a = order[i] SUBSEP "pdusim"; b = order[i] SUBSEP "snmpd"
        printf "%-40s | %12.2f %12.2f | %12.1f %12.1f | %6d %6d\n", order[i], wall[a] / n[a] / 1e6, wall[b] / n[b] / 1e6, cpu[a] / n[a] / 1e3, cpu[b] / n[b] / 1e3, fails[a], fails[b]
    }
}' "$LOOP_RESULTS"
