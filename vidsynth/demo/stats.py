"""What the demos measure: simple statistics of real and generated videos, and the rows that print
them side by side (shared by the DIGAN and the MoCoGAN-HD demo)."""
from __future__ import annotations

import torch


def video_statistics(videos: torch.Tensor) -> dict[str, float]:
    """Simple, interpretable statistics of ``[N, 3, T, H, W]`` videos in [-1, 1], measured in 0..255 units.

    - ``motion``: mean absolute per-pixel change between consecutive frames (0 = frozen video);
    - ``rgb_mean``/``rgb_std``: colour mean and spread per channel;
    - ``temporal_std``: per-pixel std over time, averaged (how much each pixel varies in a clip).
    """
    v = (videos.float().clamp(-1, 1) + 1) * 127.5
    motion = (v[:, :, 1:] - v[:, :, :-1]).abs().mean().item()
    return {
        "motion": round(motion, 2),
        "rgb_mean": [round(x, 1) for x in v.mean(dim=(0, 2, 3, 4)).tolist()],
        "rgb_std": [round(x, 1) for x in v.std(dim=(0, 2, 3, 4)).tolist()],
        "temporal_std": round(v.std(dim=2).mean().item(), 2),
    }


def comparison_rows(real: dict, generated: dict) -> list[str]:
    """A header and one line per statistic: ``video_statistics`` of real vs generated videos."""
    rows = [
        ("mean |frame(t+1) - frame(t)| (motion)", real["motion"], generated["motion"]),
        ("per-pixel std over time", real["temporal_std"], generated["temporal_std"]),
        ("colour mean R,G,B", real["rgb_mean"], generated["rgb_mean"]),
        ("colour std R,G,B", real["rgb_std"], generated["rgb_std"]),
    ]
    lines = [f"{'statistic (0..255 units)':42s} {'real':>20s} {'generated':>20s}"]
    return lines + [f"{name:42s} {str(a):>20s} {str(b):>20s}" for name, a, b in rows]
