#!/usr/bin/env bash
# Driver adapter (protocol 1, see conformance/ADAPTERS.md) for net-snmp's snmpset/snmpget, used
# the way a shell-script driver uses them: one process per request, the vendor's control OID and
# integers, net-snmp's own timeout (-t) and retries (-r). Needs bash, jq and net-snmp's tools.
set -u
export MIBS="" # numeric OIDs only: no MIB loading warnings in the messages
version=$(snmpset --version 2>&1 | sed 's/^NET-SNMP version: //')
echo "{\"protocol\":1,\"name\":\"net-snmp\",\"version\":\"$version\",\"actions\":[\"on\",\"off\",\"cycle\",\"state\"],\"stateless\":true}"

ok() { echo "{\"id\":$id,\"ok\":true$1}"; }
fail() { jq -cn --argjson id "$id" --arg t "$1" --arg m "$2" '{id: $id, ok: false, error: {type: $t, message: $m}}'; }

# Runs snmpset/snmpget with the connection's flags; sets $out, $err and $rc.
snmp() {
  local tool=$1 errfile; shift
  errfile=$(mktemp)
  out=$("$tool" "${flags[@]}" "$@" 2>"$errfile"); rc=$?
  err=$(paste -sd' ' "$errfile"); rm -f "$errfile"
}

# SETs OID $1 to INTEGER $2; replies only on failure.
switch() {
  snmp snmpset "$1" i "$2"
  if [ "$rc" -ne 0 ]; then fail "snmpset exit $rc" "$err"; return 1; fi
}

while IFS= read -r line; do
  # One jq per request: shell variables and the snmpset/snmpget flags, shell-quoted.
  eval "$(jq -r '.connection as $c | @sh "id=\(.id) action=\(.action) vendor=\($c.vendor)",
    @sh "delay=\($c.cycle_delay) state_oid=\($c.get_state.oid // "")",
    @sh "on_oid=\($c.set_on.oid // "") on_value=\($c.set_on.value // "")",
    @sh "off_oid=\($c.set_off.oid // "") off_value=\($c.set_off.value // "")",
    @sh "cycle_oid=\($c.set_cycle.oid // "") cycle_value=\($c.set_cycle.value // "")",
    "state_on=(\($c.get_state.on // [] | @sh)) state_off=(\($c.get_state.off // [] | @sh))",
    "flags=(\((["-v", $c.version, "-t", ($c.timeout|tostring), "-r", ($c.retries|tostring)] +
      (if $c.version == "3" then
         ["-u", $c.user, "-n", $c.context, "-l",
          (if $c.auth_protocol == null then "noAuthNoPriv"
           elif $c.priv_protocol == null then "authNoPriv" else "authPriv" end)] +
         (if $c.auth_protocol != null then ["-a", $c.auth_protocol, "-A", $c.auth_key] else [] end) +
         (if $c.priv_protocol != null then ["-x", $c.priv_protocol, "-X", $c.priv_key] else [] end)
       else ["-c", $c.community] end) + ["udp:\($c.host):\($c.port)"]) | @sh))"' <<<"$line")"
  if [ -z "$on_oid" ]; then
    fail NotSupported "vendor $vendor: snmpset needs a vendor's control OID"
    continue
  fi
  case $action in
    on) switch "$on_oid" "$on_value" && ok "" ;;
    off) switch "$off_oid" "$off_value" && ok "" ;;
    cycle)
      if [ -n "$cycle_oid" ]; then
        switch "$cycle_oid" "$cycle_value" && ok ""
      else
        switch "$off_oid" "$off_value" && sleep "$delay" && switch "$on_oid" "$on_value" && ok ""
      fi ;;
    state)
      if [ -z "$state_oid" ]; then fail NotSupported "vendor $vendor: no state column"; continue; fi
      snmp snmpget -Oqv "$state_oid"
      if [ "$rc" -ne 0 ]; then fail "snmpget exit $rc" "$err"; continue; fi
      state=$out
      for v in "${state_on[@]}"; do [ "$out" = "$v" ] && state=on; done
      for v in "${state_off[@]}"; do [ "$out" = "$v" ] && state=off; done
      ok ",\"state\":$(jq -cn --arg s "$state" '$s')" ;;
    *) fail NotSupported "no action $action" ;;
  esac
done
