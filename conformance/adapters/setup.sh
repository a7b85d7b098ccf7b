#!/usr/bin/env bash
# Makes the virtualenv of the Python adapters (target/adapters-venv, or $PDU_ADAPTER_VENV) from
# requirements.txt; does nothing when it already matches, so a second run takes no time.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
venv=${PDU_ADAPTER_VENV:-$here/../../target/adapters-venv}
stamp=$venv/requirements.installed
if [ -x "$venv/bin/python" ] && cmp -s "$here/requirements.txt" "$stamp"; then
  exit 0
fi
echo "setup.sh: installing the Python adapters' packages into $venv" >&2
python3 -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$here/requirements.txt"
cp "$here/requirements.txt" "$stamp"
