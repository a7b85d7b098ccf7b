#!/usr/bin/env bash
# Makes the virtualenvs of the Python adapters under target/ (or $PDU_ADAPTER_VENV_DIR):
# adapters-venv from requirements.txt (jumpstarter) and adapters-venv-labgrid from
# requirements-labgrid.txt (labgrid needs an older pysnmp). Does nothing for a virtualenv that
# already matches its requirements, so a second run takes no time.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
dir=${PDU_ADAPTER_VENV_DIR:-$here/../../target}
for pair in "adapters-venv:requirements.txt" "adapters-venv-labgrid:requirements-labgrid.txt"; do
  venv=$dir/${pair%%:*}
  requirements=$here/${pair#*:}
  if [ -x "$venv/bin/python" ] && cmp -s "$requirements" "$venv/requirements.installed"; then
    continue
  fi
  echo "setup.sh: installing $(basename "$requirements") into $venv" >&2
  python3 -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$requirements"
  cp "$requirements" "$venv/requirements.installed"
done
