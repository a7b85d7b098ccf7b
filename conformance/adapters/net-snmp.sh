#!/usr/bin/env bash
# Driver adapter (protocol 1, see conformance/ADAPTERS.md) for net-snmp's snmpset/snmpget, used
# the way a shell-script driver uses them: one process per request, the vendor's control OID and
# integers, net-snmp's own timeout (-t) and retries (-r). Needs bash, jq and net-snmp's tools.
set -u
export MIBS="" # numeric OIDs only: no MIB loading warnings in the messages
version=$(snmpset --version 2>&1 | sed 's/^NET-SNMP version: //')
jq -cn --arg v "$version" '{protocol: 1, name: "net-snmp", version: $v,
  actions: ["on", "off", "cycle", "state"]}'

reply() { jq -cn --argjson id "$id" "$@"; }
fail() { reply --arg t "$1" --arg m "$2" '{id: $id, ok: false, error: {type: $t, message: $m}}'; }

# snmpset/snmpget with the connection's flags; sets $out, $err and $rc.
snmp() {
  local tool=$1; shift
  local -a flags
  mapfile -t flags < <(jq -r '.connection |
    ["-v", .version, "-t", (.timeout|tostring), "-r", (.retries|tostring)] +
    (if .version == "3" then
       ["-u", .user, "-n", .context, "-l",
        (if .auth_protocol == null then "noAuthNoPriv"
         elif .priv_protocol == null then "authNoPriv" else "authPriv" end)] +
       (if .auth_protocol != null then ["-a", .auth_protocol, "-A", .auth_key] else [] end) +
       (if .priv_protocol != null then ["-x", .priv_protocol, "-X", .priv_key] else [] end)
     else ["-c", .community] end) +
    ["udp:\(.host):\(.port)"] | .[]' <<<"$line")
  local errfile; errfile=$(mktemp)
  out=$("$tool" "${flags[@]}" "$@" 2>"$errfile"); rc=$?
  err=$(paste -sd' ' "$errfile"); rm -f "$errfile"
}

# SET the command named $1 (set_on, set_off, set_cycle); replies only on failure.
switch() {
  local oid value
  oid=$(jq -r ".connection.$1.oid" <<<"$line"); value=$(jq -r ".connection.$1.value" <<<"$line")
  snmp snmpset "$oid" i "$value"
  if [ "$rc" -ne 0 ]; then fail "snmpset exit $rc" "$err"; return 1; fi
}

while IFS= read -r line; do
  id=$(jq -r .id <<<"$line"); action=$(jq -r .action <<<"$line")
  if [ "$(jq -r '.connection.set_on == null' <<<"$line")" = true ]; then
    fail NotSupported "vendor $(jq -r .connection.vendor <<<"$line"): snmpset needs a vendor's control OID"
    continue
  fi
  case $action in
    on | off) switch "set_$action" && reply '{id: $id, ok: true}' ;;
    cycle)
      if [ "$(jq -r '.connection.set_cycle != null' <<<"$line")" = true ]; then
        switch set_cycle && reply '{id: $id, ok: true}'
      else
        switch set_off && sleep "$(jq -r .connection.cycle_delay <<<"$line")" &&
          switch set_on && reply '{id: $id, ok: true}'
      fi ;;
    state)
      snmp snmpget -Oqv "$(jq -r .connection.get_state.oid <<<"$line")"
      if [ "$rc" -ne 0 ]; then fail "snmpget exit $rc" "$err"; continue; fi
      reply --arg raw "$out" --argjson s "$(jq -c .connection.get_state <<<"$line")" \
        '{id: $id, ok: true, state: (($raw | tonumber? // $raw) as $v |
          if ($s.on | any(. == $v)) then "on" elif ($s.off | any(. == $v)) then "off" else $raw end)}' ;;
    *) fail NotSupported "no action $action" ;;
  esac
done
