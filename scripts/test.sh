#!/usr/bin/env bash
# Runs every test in the workspace. Installs what the tests talk to first, when it is missing:
# net-snmp's client tools (Debian package `snmp`), its agent (`snmpd`) and its notification
# receiver (`snmptrapd`); the browser the dashboard test drives (`chromium` and
# `chromium-driver`); jq and Python's venv (for the conformance kit's driver adapters), curl (the
# README's control-API examples, which conformance/tests/docs.rs runs), Network UPS Tools'
# `snmp-ups` (`nut-snmp`, the manager whose model detection the simulator tests), and the
# adapters' Python virtualenvs (under target/, reused on a second run). Tests never skip for a
# missing tool, so this script is the one way to get a machine ready.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v snmpget >/dev/null 2>&1 || missing+=(snmp)
{ command -v snmpd >/dev/null 2>&1 || [ -x /usr/sbin/snmpd ]; } || missing+=(snmpd)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v chromedriver >/dev/null 2>&1 || missing+=(chromium-driver)
{ command -v snmptrapd >/dev/null 2>&1 || [ -x /usr/sbin/snmptrapd ]; } || missing+=(snmptrapd)
command -v jq >/dev/null 2>&1 || missing+=(jq)
command -v curl >/dev/null 2>&1 || missing+=(curl)
[ -x /lib/nut/snmp-ups ] || missing+=(nut-snmp)
python3 -c 'import ensurepip, venv' >/dev/null 2>&1 || missing+=(python3-venv)
if [ ${#missing[@]} -gt 0 ]; then
  echo "test.sh: installing ${missing[*]}" >&2
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
conformance/adapters/setup.sh

# Formatting and lints first: unformatted code or any clippy warning fails the run.
cargo fmt --all --check
cargo clippy --workspace --all-targets --locked -- -D warnings
cargo test --workspace --locked "$@"

# The Kubernetes manifests against the API schemas, offline (a virtualenv under target/).
deploy/validate.sh
