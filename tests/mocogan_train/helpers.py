from __future__ import annotations

from pathlib import Path

import torch

from vidsynth.training import checkpoint as ckpt


def latest_state(run: Path) -> dict:
    return ckpt.load(ckpt.list_checkpoints(run)[0])


def assert_same_weights(run_a: Path, run_b: Path, keys) -> None:
    a, b = latest_state(run_a), latest_state(run_b)
    assert a["step"] == b["step"] and a["nimg"] == b["nimg"]
    for key in keys:
        sa, sb = a["trainer"][key], b["trainer"][key]
        assert sa.keys() == sb.keys()
        for name in sa:
            assert torch.equal(sa[name], sb[name]), f"{key}.{name} differs after resume"
