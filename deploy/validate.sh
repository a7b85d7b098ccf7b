#!/usr/bin/env bash
# Validates deploy/kubernetes/*.yaml against the Kubernetes API schemas, offline, with the
# `kubernetes-validate` package from PyPI (which carries the schemas), in a virtualenv under
# target/ that a second run reuses.
#
#   deploy/validate.sh                 # against Kubernetes 1.34's schemas
#   K8S_VERSION=1.31 deploy/validate.sh
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VENV=${CARGO_TARGET_DIR:-$ROOT/target}/venv-kubernetes-validate
K8S_VERSION=${K8S_VERSION:-1.34}
if [[ ! -x $VENV/bin/kubernetes-validate ]]; then
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q 'kubernetes-validate==1.37.0'
fi
"$VENV/bin/kubernetes-validate" --strict --kubernetes-version "$K8S_VERSION" "$ROOT"/deploy/kubernetes/*.yaml
