#!/usr/bin/env bash
# Instructions per request, pdusim against net-snmp's snmpd, counted by valgrind's callgrind.
#
#   bench/callgrind.sh            # about 3 minutes
#
# CPU time per request swings by a factor of ten on shared VMs with the machine's idle state;
# instruction counts do not. Each agent runs under `valgrind --tool=callgrind` twice, once
# serving N1 and once N2 SNMPv3 authPriv (SHA-1/AES-128) GETs of sysDescr.0 from one session of
# net-snmp's C library (bench/v3get_loop.c), and the difference of the two totals divided by
# N2-N1 is what one request costs in user space: start-up, key localisation and the one discovery
# exchange cancel out. The same difference of `strace -c -f` counts gives the agent's system
# calls per request.
#
# Knobs (environment): N1 (1000), N2 (3000), SKIP_BUILD=1, PDUSIM=path, KEEP=1 (keep the temp
# dir with the callgrind profiles: open them with callgrind_annotate or kcachegrind).
#
# Under valgrind the SHA-1 code runs its portable path (valgrind does not emulate the SHA
# extensions), so the SHA-1 share printed here is larger than on hardware that has them; both
# agents are measured the same way.
set -euo pipefail

N1=${N1:-1000}
N2=${N2:-3000}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
AUTH_PASS=authpass123
PRIV_PASS=privpass123
USER_NAME=bench

say() { printf '%s\n' "$*" >&2; }
die() { say "callgrind.sh: $*"; exit 1; }
((N2 > N1)) || die "N2 ($N2) must be larger than N1 ($N1)"

# --- what it needs ----------------------------------------------------------------------------
need=()
command -v valgrind >/dev/null || need+=(valgrind)
command -v strace >/dev/null || need+=(strace)
command -v net-snmp-config >/dev/null || need+=(libsnmp-dev)
{ command -v snmpd >/dev/null || [[ -x /usr/sbin/snmpd ]]; } || need+=(snmpd)
command -v cc >/dev/null || need+=(gcc)
if ((${#need[@]})); then
    say "installing ${need[*]}..."
    SUDO=""
    [[ $(id -u) == 0 ]] || SUDO=sudo
    $SUDO apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
SNMPD=$(command -v snmpd || echo /usr/sbin/snmpd)

TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
if [[ -z ${PDUSIM:-} ]]; then
    if [[ ${SKIP_BUILD:-0} != 1 ]]; then
        say "building pdusim (release)..."
        (cd "$ROOT" && cargo build --release -q -p pdusim)
    fi
    PDUSIM=$TARGET_DIR/release/pdusim
fi
[[ -x $PDUSIM ]] || die "no pdusim binary at $PDUSIM"

WORK=$(mktemp -d /tmp/pdu-callgrind.XXXXXX)
AGENT_PID=""
cleanup() {
    [[ -n $AGENT_PID ]] && kill "$AGENT_PID" 2>/dev/null && wait "$AGENT_PID" 2>/dev/null
    if [[ ${KEEP:-0} == 1 ]]; then say "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

# shellcheck disable=SC2046
cc -O2 -o "$WORK/v3get_loop" "$ROOT/bench/v3get_loop.c" $(net-snmp-config --libs) ||
    die "cannot build bench/v3get_loop.c"

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
wait_bound() {
    for _ in $(seq 600); do
        port_in_use "$1" && return
        kill -0 "$AGENT_PID" 2>/dev/null || die "the agent exited before binding port $1 (see $WORK)"
        sleep 0.1
    done
    die "nothing bound port $1 within 60 s"
}

# run_agent TOOL NAME N PORT -- COMMAND...: runs COMMAND under TOOL (callgrind or strace),
# drives N GETs at it, stops it, and prints the tool's total (instructions, or system calls).
run_agent() {
    local tool=$1 name=$2 n=$3 port=$4 out
    shift 5
    out=$WORK/$name.$tool.$n
    rm -rf "$WORK/state" "$WORK/snmpd-persist"
    mkdir -p "$WORK/snmpd-persist"
    case $tool in
        callgrind) SNMP_PERSISTENT_DIR=$WORK/snmpd-persist valgrind --tool=callgrind \
                       --callgrind-out-file="$out" "$@" >"$out.log" 2>&1 & ;;
        strace) SNMP_PERSISTENT_DIR=$WORK/snmpd-persist strace -f -c -o "$out" "$@" >"$out.log" 2>&1 & ;;
    esac
    AGENT_PID=$!
    wait_bound "$port"
    "$WORK/v3get_loop" "127.0.0.1:$port" "$USER_NAME" "$AUTH_PASS" "$PRIV_PASS" "$n" ||
        die "$name: the GET loop failed (see $out.log)"
    # Under strace the agent is strace's child: stop the agent, and strace reports and exits.
    kill -TERM $(pgrep -P "$AGENT_PID" || echo "$AGENT_PID")
    wait "$AGENT_PID" || true
    AGENT_PID=""
    case $tool in
        callgrind) awk '/^totals:/ {print $2}' "$out" ;;
        strace) awk '$NF == "total" {print $4}' "$out" ;;
    esac
}

# Inclusive instructions of the functions whose name matches $3, in profile $1 minus profile $2.
inclusive() {
    callgrind_annotate --inclusive=yes --threshold=100 "$1" 2>/dev/null |
        awk -v pat="$2" '$0 ~ pat && $0 !~ /=>/ {gsub(",", "", $1); print $1; exit}'
}

PDUSIM_PORT=$(free_port)
SNMPD_PORT=$(free_port)
[[ $SNMPD_PORT != "$PDUSIM_PORT" ]] || SNMPD_PORT=$(free_port)
cat >"$WORK/snmpd.conf" <<EOF2
agentAddress udp:127.0.0.1:$SNMPD_PORT
createUser $USER_NAME SHA $AUTH_PASS AES $PRIV_PASS
rwuser $USER_NAME priv
sysDescr Raritan PX2 benchmark PDU
dontLogTCPWrappersConnects yes
EOF2
pdusim_cmd=("$PDUSIM" serve --listen "127.0.0.1:$PDUSIM_PORT" --outlets 24
    --user "$USER_NAME:sha:$AUTH_PASS:aes:$PRIV_PASS" --state-dir "$WORK/state")
snmpd_cmd=("$SNMPD" -f -Ln -C -c "$WORK/snmpd.conf" -I -smux)

declare -A total
for tool in callgrind strace; do
    for n in "$N1" "$N2"; do
        say "$tool: pdusim, $n GETs..."
        total[pdusim.$tool.$n]=$(run_agent "$tool" pdusim "$n" "$PDUSIM_PORT" -- "${pdusim_cmd[@]}")
        say "$tool: snmpd, $n GETs..."
        total[snmpd.$tool.$n]=$(run_agent "$tool" snmpd "$n" "$SNMPD_PORT" -- "${snmpd_cmd[@]}")
    done
done

per() { echo $(((total[$1.$2.$N2] - total[$1.$2.$N1]) / (N2 - N1))); }
per_fn() {
    local a b
    a=$(inclusive "$WORK/pdusim.callgrind.$N1" "$1")
    b=$(inclusive "$WORK/pdusim.callgrind.$N2" "$1")
    echo $(((${b:-0} - ${a:-0}) / (N2 - N1)))
}
p_ins=$(per pdusim callgrind)
s_ins=$(per snmpd callgrind)
p_sys=$(awk -v a="${total[pdusim.strace.$N1]}" -v b="${total[pdusim.strace.$N2]}" -v d=$((N2 - N1)) 'BEGIN {printf "%.2f", (b - a) / d}')
s_sys=$(awk -v a="${total[snmpd.strace.$N1]}" -v b="${total[snmpd.strace.$N2]}" -v d=$((N2 - N1)) 'BEGIN {printf "%.2f", (b - a) / d}')

printf '\nSNMPv3 authPriv (SHA-1/AES-128) GET of sysDescr.0, %s minus %s requests\n\n' "$N2" "$N1"
printf '| agent | user-space instructions per request | system calls per request |\n|---|---:|---:|\n'
printf '| pdusim | %s | %s |\n' "$p_ins" "$p_sys"
printf '| snmpd | %s | %s |\n' "$s_ins" "$s_sys"
awk -v p="$p_ins" -v s="$s_ins" 'BEGIN {printf "\npdusim / snmpd instructions: %.3f\n", p / s}'
printf '\nwhere pdusim spends them (inclusive, per request):\n'
printf '  dispatch::handle_datagram   %s\n' "$(per_fn 'pdusim::dispatch::handle_datagram \[')"
printf '  security::process_inbound   %s\n' "$(per_fn 'pdusim::security::process_inbound \[')"
printf '  security::wrap_outbound     %s\n' "$(per_fn 'pdusim::security::wrap_outbound \[')"
printf '  SHA-1 compression           %s\n' "$(per_fn 'sha1::compress::soft::compress \[')"
