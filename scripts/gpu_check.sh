#!/usr/bin/env bash
# Check vidsynth's GPU path on a CUDA machine, in one go (docs/performance.md, "GPU and multi-node"):
#   1. CPU/CUDA parity of every network (DIGAN G/Ds, StyleGAN2 G/D, MoCoGAN-HD motion G and Ds, I3D),
#   2. 50 training steps of each method with bf16 and fp16, no non-finite loss (DIGAN as the official code:
#      G fp32, the Ds' top 4 resolutions in fp16/bf16 with activations clamped at 256, no loss scaling;
#      StyleGAN2 and MoCoGAN-HD under autocast), and DIGAN's D checked layer by layer for those formats,
#   3. a 2-process NCCL torchrun run (needs 2 GPUs), ranks identical,
#   4. vidsynth bench on CUDA,
# printing one JSON summary (also written to gpu_check.json); exit code 0 only if everything passed.
#
#   scripts/gpu_check.sh                 # on the CUDA machine, in the repository, venv active
#   scripts/gpu_check.sh --steps 200     # longer AMP runs
#   scripts/gpu_check.sh --dry-run       # CPU, test-size networks (what the test suite runs)
set -euo pipefail
cd "$(dirname "$0")/.."
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
if [[ " $* " != *" --dry-run "* ]] && command -v nvidia-smi >/dev/null; then
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader >&2
fi
exec python -m vidsynth.bench.gpu_check --json gpu_check.json "$@"
