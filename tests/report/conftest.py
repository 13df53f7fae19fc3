"""A hand-made run folder (no training): small videos, stats, metrics, config."""
import json
import math

import pytest
import torch

from vidsynth.video.write import frame_strip, make_grid, write_png, write_video


def moving_square(n_videos: int = 4, frames: int = 8, size: int = 32, shift: int = 0) -> torch.Tensor:
    """``[n, 3, T, S, S]`` in [-1, 1]: a square crossing the frame, one colour per video."""
    video = -torch.ones(n_videos, 3, frames, size, size)
    for i in range(n_videos):
        for t in range(frames):
            x = (t * 3 + i * 5 + shift) % (size - 8)
            video[i, i % 3, t, 8:16, x:x + 8] = 1.0
            video[i, (i + 1) % 3, t, :, :] += 0.3 * t / frames
    return video.clamp(-1, 1)


@pytest.fixture
def run_dir(tmp_path):
    run = tmp_path / "00003-digan-shapes"
    run.mkdir()
    (run / "config.json").write_text(json.dumps({
        "method": {"method": "digan", "resolution": 32, "frames": 8, "lr": 0.002},
        "loop": {"data": "builtin:shapes", "kimg": 0.2, "seed": 0}, "class_names": [], "world_size": 1}))
    with open(run / "stats.jsonl", "w") as f:
        for i in range(1, 13):
            kimg = i * 0.016
            f.write(json.dumps({"loss/G": 1 + math.exp(-i / 4), "loss/D": 1.4 - 0.02 * i, "D/real_image": 0.1 * i,
                                "D/fake_image": -0.1 * i, "kimg": kimg, "step": i * 4, "time": 10.0 * i,
                                "sec_per_kimg": 600 + 5 * i}) + "\n")
        f.write('{"torn last line\n')
    with open(run / "metrics.jsonl", "w") as f:
        for kimg, fvd in ((0.064, 900.0), (0.128, 700.0), (0.192, 610.0)):
            f.write(json.dumps({"metric": "fvd16", "value": fvd, "kimg": kimg, "num_videos": 64}) + "\n")
    for k, shift in ((0.096, 0), (0.192, 4)):
        write_video(run / f"samples-{k:09.3f}kimg.mp4", make_grid(moving_square(shift=shift)), fps=8)
    grid = make_grid(moving_square(shift=4))
    write_video(run / "samples-latest.gif", grid, fps=8)
    write_png(run / "samples-latest.png", frame_strip(grid, 4))
    write_video(run / "reals.mp4", make_grid(moving_square(shift=9)), fps=8)
    (run / "snapshots.jsonl").write_text(json.dumps({"kimg": 0.192, "step": 48, "final": True}) + "\n")
    return run
