#!/usr/bin/env bash
# Fresh machine -> set up .venv, then train the tiny DIGAN demo on a built-in dataset (<= 5 min on 2 CPU cores).
# Extra arguments go to `vidsynth demo` (e.g. --minutes 10 --data builtin:scene).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
. .venv/bin/activate
vidsynth demo "$@"
