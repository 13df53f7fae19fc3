"""How much detail must a generator draw to beat the static baseline? Real clips with less detail, measured.

The learning benchmark (``vidsynth bench --measure learning``) asks a generator to beat the static baseline:
real first frames held still. This script measures, with exactly the benchmark's protocol (the preset's
resolution, stride and clip sampling, ``fvd{N}_16f`` against the training data, the same held-out clips),
what the held-out real clips themselves score once their frames lose detail: each frame is resized to
``r x r`` pixels (antialiased) and back to the protocol's resolution (bilinear). These clips have perfect
content and perfect motion, only less detail. The **detail bar** is the largest ``r`` whose clips still score
above static: a generator whose frames have no more detail than that cannot beat a still photograph
however well it moves.

``--model RUN_OR_MODEL`` also measures a trained generator's own clips (the benchmark's fake clips: same count and
seed) at full detail and reduced to each size. How far its FVD rises as detail goes tells whether its frames
have that detail to lose: a generator that already draws only 20-pixel detail loses little at 24.

Beside the FVDs, the JSON holds each clip set's **power spectrum** over the real clips' (``spectrum``: at each
spatial frequency, in cycles per frame height, the mean power of the frames' luminance, as a ratio to the
held-out real clips'): whether a generator that loses little FVD to less detail has no fine detail to lose (a
ratio well below 1 at high frequencies, like the reduced real clips) or draws fine detail of the wrong kind
(a ratio near or above 1).

    python scripts/detail_bar.py --config digan-tiny --data data/real64/train --sizes 28 24 20 16 8
    python scripts/detail_bar.py --config digan-tiny --data builtin:scene --json scene.json
    python scripts/detail_bar.py --config digan-tiny --data data/real64/train --model runs/00003-.../model-000128.000

About 30 s per FVD on one thread (64 clips); the numbers are in docs/performance.md ("How much detail beats static").
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import torch
import torch.nn.functional as F


def reduce_detail(videos: torch.Tensor, size: int) -> torch.Tensor:
    """``[N, 3, T, H, W]`` in [-1, 1] -> the same shape, each frame resized to ``size`` pixels high (the width in
    proportion; antialiased bilinear) and back to ``H x W`` (bilinear): the content and motion of the clip with
    the detail of a ``size``-pixel frame."""
    n, c, t, h, w = videos.shape
    frames = videos.permute(0, 2, 1, 3, 4).reshape(n * t, c, h, w)                        # [N*T, 3, H, W]
    small_size = (size, max(1, round(size * w / h)))
    small = F.interpolate(frames, size=small_size, mode="bilinear", antialias=True, align_corners=False)
    back = F.interpolate(small, size=(h, w), mode="bilinear", align_corners=False).clamp(-1, 1)
    return back.reshape(n, t, c, h, w).permute(0, 2, 1, 3, 4).contiguous()


def radial_power(videos: torch.Tensor) -> torch.Tensor:
    """``[N, 3, T, H, W]`` -> ``[H // 2 + 1]``: the mean power of the frames' luminance (the mean of the three
    channels) at each spatial frequency ``0 .. H/2`` cycles per frame height, pooled over directions (the
    frequency's length, rounded). A non-square frame's horizontal frequencies are counted per frame height too,
    so a pattern of one pixel pitch falls at the same radius either way."""
    n, c, t, h, w = videos.shape
    luma = videos.float().mean(1).reshape(n * t, h, w)                                    # [N*T, H, W]
    power = torch.fft.fft2(luma).abs().pow(2).mean(0)                                     # [H, W]
    fy = torch.fft.fftfreq(h, d=1.0 / h).view(-1, 1)                                       # cycles per height
    fx = torch.fft.fftfreq(w, d=1.0 / h).view(1, -1)                                       # ... per height too
    radius = (fy ** 2 + fx ** 2).sqrt().round().long()                                   # [H, W]
    keep = radius <= h // 2
    total = torch.zeros(h // 2 + 1).index_add_(0, radius[keep], power[keep])
    count = torch.zeros(h // 2 + 1).index_add_(0, radius[keep], torch.ones_like(power[keep]))
    return total / count


def power_ratio(videos: torch.Tensor, reference: torch.Tensor) -> list[float]:
    """The power of ``videos`` over that of ``reference`` at each frequency ``1 .. H/2`` (cycles per frame height;
    the mean, frequency 0, left out), rounded to 3 decimals: below 1 where ``videos`` have less detail."""
    ratio = radial_power(videos)[1:] / radial_power(reference)[1:]
    return [round(r, 3) for r in ratio.tolist()]


def detail_bar(rows: dict, static_fvd: float) -> int | None:
    """The largest size whose moving clips score above ``static_fvd`` (None: every size beats static)."""
    above = [size for size, row in rows.items() if row["moving"]["fvd"] > static_fvd]
    return max(above) if above else None


def verdict(bar: int | None, sizes: list[int]) -> str:
    """The line that reports ``bar`` (None: every measured size beat static, so the bar lies below them all)."""
    if bar is None:
        return f"detail bar: below {min(sizes)} px (every size measured beats static; measure smaller ones)"
    return f"detail bar: {bar} px (frames with no more detail than this do not beat static)"


def generated_clips(model, clips: int, seed: int) -> torch.Tensor:
    """The ``clips`` fake clips ``[N, 3, 16, R, R]`` the benchmark's metric draws from ``model`` (a run or model
    folder, or a sampler) with ``seed``: the same clips, so the same FVD."""
    from vidsynth.bench.learning import PROTOCOL_FRAMES
    from vidsynth.loader import load_generator
    from vidsynth.metrics.fake_sources import open_fake

    source = open_fake(load_generator(model) if isinstance(model, (str, Path)) else model)
    return torch.cat(list(source.batches(clips, PROTOCOL_FRAMES, 1, 8, seed)))


def main() -> None:
    """The command line; a user error (a missing folder, a bad option value) is one line on stderr, exit 2."""
    from vidsynth.errors import VidsynthError

    try:
        run()
    except VidsynthError as e:
        print(f"detail_bar.py: error: {e}", file=sys.stderr)
        raise SystemExit(2) from None


def run() -> None:
    from vidsynth.bench.learning import (clip_protocol, held_out_clips, measure, parse_config, split_overrides,
                                         static_clips)
    from vidsynth.config import method_config, parse_set_options
    from vidsynth.utils.files import atomic_write_text

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default="digan-tiny", help="preset whose protocol is used (the bench's)")
    parser.add_argument("--data", default="builtin:scene")
    parser.add_argument("--clips", type=int, default=64)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--sizes", type=int, nargs="+", default=[28, 24, 20, 16, 8])
    parser.add_argument("--still", action="store_true", help="also measure each size held still")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="FIELD=VALUE")
    parser.add_argument("--model", help="a run or model folder: its clips are measured at each size too")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--json", help="write the result here (atomically)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    if args.model and not Path(args.model).exists():
        parser.error(f"--model {args.model}: no such run or model folder (give a run folder or its model-<kimg>/)")

    method, preset = parse_config(args.config)
    cfg = method_config(method, preset, split_overrides(method, parse_set_options(args.overrides))[0])
    proto = clip_protocol(cfg)                                     # {"resolution", "stride", "clip_sampling"}
    held = held_out_clips(args.data, proto["resolution"], proto["stride"], args.clips, args.seed,
                          proto["clip_sampling"])                                          # [N, 3, 16, R, R]
    sizes = sorted(set(args.sizes), reverse=True)                                          # largest first

    def fvd(clips):
        out = measure(clips, args.data, args.clips, device=torch.device("cpu"), seed=args.seed, **proto)
        return {k: round(v, 4) if k != "eval_s" else v for k, v in out.items()}

    result = {"config": args.config, "data": args.data, "clips": args.clips, "seed": args.seed, **proto,
              "overrides": args.overrides, "noise_floor": fvd(held), "static": fvd(static_clips(held)), "sizes": {}}
    print(f"noise floor {result['noise_floor']['fvd']:.1f}, static {result['static']['fvd']:.1f}", flush=True)
    for size in sizes:
        degraded = reduce_detail(held, size)
        row = {"moving": fvd(degraded)}
        if args.still:
            row["still"] = fvd(static_clips(degraded))
        result["sizes"][size] = row
        print(f"{size:3d} px: " + ", ".join(f"{k} {v['fvd']:.1f}" for k, v in row.items()), flush=True)
    result["detail_bar"] = detail_bar(result["sizes"], result["static"]["fvd"])
    result["spectrum"] = {"frequencies": list(range(1, proto["resolution"] // 2 + 1)),
                          "sizes": {size: power_ratio(reduce_detail(held, size), held) for size in sizes}}
    if args.model:
        fake = generated_clips(args.model, args.clips, args.seed)                          # [N, 3, 16, R, R]
        result["model"] = {"path": args.model, "full": fvd(fake),
                           "sizes": {size: fvd(reduce_detail(fake, size)) for size in sizes}}
        print(f"model: full {result['model']['full']['fvd']:.1f}, " + ", ".join(
            f"{size} px {row['fvd']:.1f}" for size, row in result["model"]["sizes"].items()), flush=True)
        result["spectrum"]["model"] = power_ratio(fake, held)
        top = result["spectrum"]["model"][len(result["spectrum"]["model"]) // 2:]
        print(f"model: power over the real clips' at the upper half of frequencies x{min(top):.2f}-{max(top):.2f}")
    print(verdict(result["detail_bar"], sizes))
    if args.json:
        atomic_write_text(args.json, json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
