#!/usr/bin/env bash
# Fresh machine -> set up .venv with the test extras, then run the whole test suite.
# Extra arguments go to pytest (e.g. -k resume, or -m "not slow").
set -euo pipefail
cd "$(dirname "$0")/.."
VIDSYNTH_EXTRAS=test bash scripts/setup.sh
. .venv/bin/activate
python -m pytest -q "$@"
