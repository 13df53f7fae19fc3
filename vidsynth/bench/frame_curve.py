"""MoCoGAN-HD's two stages measured frame by frame (issue 15, part 3).

- ``FrameProbe``: the real side of a per-frame FID (``metrics.frame_fid``: static-I3D features of real
  training frames, all pooled) plus held-out real clips, from which the per-frame baselines are computed
  the same way as the generators' values: ``noise_floor`` (held-out real clips, frame t of each) and
  ``static`` (held-out first frames held still: the same value at every t). At the frame level a still
  photograph is a real frame, so ``static``'s value is the per-frame noise floor at t = 0: a generator
  frame "beats static" only when it is as good as a real frame at that clip count.
- ``image_fid``: stage 1, the image generator's own FID (``n`` images vs the pooled real frames).
- ``trajectory_fid``: stage 2, FID of each frame index of clips unrolled ``unroll`` times past the
  training length, and ``manifold_verdict``: later frames no worse than the first by more than a
  margin stated from the noise of the estimate (a bootstrap of frame 0's FID over its clips).
- ``StageSplit`` / ``image_stage_stop`` / ``split_by_measurement``: how much of a budget stage 1 gets,
  decided by measured checkpoints instead of a fixed share; ``handoff_check``: which of its snapshots stage 2
  starts from (the best measured, not the last).
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import torch

from vidsynth.metrics.frame_fid import (fid_bootstrap_std, fid_per_frame, fid_to_reference, frame_features,
                                        reference_stats)

# Two per-frame FIDs differ by noise alone within MARGIN_SIGMAS * sqrt(2) bootstrap standard deviations of one
# (two estimates of about the same noise; 2 sigma: ~95 % of differences if they were independent and normal).
MARGIN_SIGMAS = 2.0
BOOTSTRAP_DRAWS = 20


def default_network(device="cpu"):
    """The per-frame feature network of the probes: the static I3D (1024-d; tests swap in a cheap one)."""
    from vidsynth.metrics.features import I3DFrameFeatures

    return I3DFrameFeatures(device)


def noise_margin(fid: float, std: float) -> float:
    """Relative margin (0.1 = 10 %) within which another per-frame FID equals ``fid`` up to noise:
    ``MARGIN_SIGMAS * sqrt(2) * std / fid`` (``std``: the bootstrap std of ``fid``)."""
    return MARGIN_SIGMAS * math.sqrt(2.0) * std / max(fid, 1e-12)


class FrameProbe:
    """Real per-frame statistics of a dataset, computed once; measures generators against them.

    ``real``: ``[N, 3, T, R, R]`` training clips (their N * T frames pooled: the reference);
    ``held``: ``[M, 3, T', R, R]`` held-out clips (the baselines; M = generated samples per frame index
    in ``trajectory_fid``, so the baselines and the generator's values share their count).
    ``network``: per-frame features ``[B, 3, T, R, R] -> [B, T, D]`` (default: the static I3D).
    """

    def __init__(self, real: torch.Tensor, held: torch.Tensor, network=None, device="cpu", batch_size: int = 8):
        network = default_network(device) if network is None else network
        self.network, self.batch_size, self.resolution = network, batch_size, real.shape[-1]
        self.ref = reference_stats(frame_features(network, real, batch_size))   # [N * T, D] pooled
        self.held = frame_features(network, held, batch_size)                  # [M, T', D]
        self.real_frames = int(real.shape[0] * real.shape[2])

    @classmethod
    def from_data(cls, data: str, resolution: int, frames: int, stride: int, clips: int, held: torch.Tensor,
                  seed: int = 0, clip_sampling: str = "per_video", network=None, device="cpu") -> "FrameProbe":
        """``clips`` training clips of ``frames`` frames (seed-0 videos, as the metrics' real side) and the
        ``held`` clips (``learning.held_out_clips``: videos training never reads; the demo passes only their
        first frames, as it needs only the static baseline)."""
        from vidsynth.data import open_dataset
        from vidsynth.metrics.sources import iter_real, real_clip_keys

        ds = open_dataset(str(data), resolution, frames, stride=stride, seed=0)
        span = (frames - 1) * stride + 1
        keys = real_clip_keys(ds, clips, span, seed, clip_sampling)
        real = torch.cat(list(iter_real(ds, clips, span, keys=keys)))
        return cls(real, held, network=network, device=device)

    def features(self, videos: torch.Tensor) -> np.ndarray:
        """``[B, 3, T, r, r]`` (resized to the probe's resolution if needed) -> ``[B, T, D]``."""
        if videos.shape[-1] != self.resolution:
            from vidsynth.metrics.resize import resize_video

            videos = resize_video(videos.float(), self.resolution)
        return frame_features(self.network, videos, self.batch_size)

    def baselines(self) -> dict:
        """``{"noise_floor": {"fid": [per frame], "first", "std"}, "static": {...}, "real_frames", "clips"}``:
        the held-out clips' per-frame FID, and their first frames held still (one value repeated)."""
        noise = fid_per_frame(self.ref, self.held)
        std = fid_bootstrap_std(self.ref, self.held[:, 0], BOOTSTRAP_DRAWS)
        return {"noise_floor": {"fid": noise, "first": noise[0], "std": std},
                "static": {"fid": [noise[0]] * len(noise), "first": noise[0], "std": std},
                "clips": int(len(self.held)), "real_frames": self.real_frames}

    def image_fid(self, sampler, n: int, seed: int = 0) -> dict:
        """Stage 1: ``{"fid", "std", "n"}`` of ``n`` images of an image generator (``sampler.sample(n, frames=1)``)."""
        feats = self.features(sampler.sample(n, frames=1, seed=seed))[:, 0]     # [n, D]
        return {"fid": fid_to_reference(self.ref, feats),
                "std": fid_bootstrap_std(self.ref, feats, BOOTSTRAP_DRAWS), "n": int(n)}

    def trajectory_fid(self, sampler, n: int, train_frames: int, unroll: int = 3, seed: int = 0) -> dict:
        """Stage 2: per-frame FID of ``n`` clips of ``train_frames * unroll`` frames, with its verdict."""
        frames = train_frames * unroll
        feats = self.features(sampler.sample(n, frames=frames, seed=seed))     # [n, frames, D]
        fid = fid_per_frame(self.ref, feats)
        std = fid_bootstrap_std(self.ref, feats[:, 0], BOOTSTRAP_DRAWS)
        return {"clips": int(n), "frames": frames, "train_frames": int(train_frames), "unroll": int(unroll),
                "fid": fid, "first_std": std, **manifold_verdict(fid, train_frames, std)}


def manifold_verdict(fid: list[float], train_frames: int, first_std: float) -> dict:
    """Does the trajectory stay on the image manifold? Frame 0 is the image generator's own frame (the
    content code); ``trained``: mean FID of frames 1..T-1, ``unrolled``: mean of frames T.. (past the
    training length). Each is compared with frame 0 as a ratio; ``on_manifold`` when both ratios are at most
    ``1 + margin`` (``noise_margin`` of frame 0: a mean of several frames is less noisy than one, so the
    margin is, if anything, lenient by design only through sqrt(2)). ``worst``: the largest single frame."""
    if len(fid) < 2 or train_frames < 2:
        raise ValueError("a trajectory verdict needs at least 2 frames in the training length")
    first = fid[0]
    trained = float(np.mean(fid[1:train_frames]))
    unrolled = float(np.mean(fid[train_frames:])) if len(fid) > train_frames else None
    margin = noise_margin(first, first_std)
    worst = int(np.argmax(fid))
    out = {"first": first, "trained_mean": trained, "unrolled_mean": unrolled, "margin": round(margin, 4),
           "trained_ratio": trained / first, "unrolled_ratio": None if unrolled is None else unrolled / first,
           "worst_frame": worst, "worst_ratio": fid[worst] / first}
    out["on_manifold"] = bool(out["trained_ratio"] <= 1 + margin
                              and (unrolled is None or out["unrolled_ratio"] <= 1 + margin))
    return out


# -- how much of the budget the image generator gets --------------------------------------------------------------
@dataclass(frozen=True)
class StageSplit:
    """Stage 1 trains in chunks of ``check_share`` of the whole budget; after each, its FID is measured and
    it stops (``image_stage_stop``) at the first of: ``max_share`` spent (``cap``); its FID within noise of the
    static per-frame baseline (``beats static``); no check in the last ``patience`` improved on the best
    before them by more than the noise margin, and the trend of the last ``patience + 1`` checks does not
    predict more than that margin over the next ``patience`` checks either (``plateau``); never before
    ``min_share`` (the motion stage needs a usable image generator: the first checks of a GAN are the
    noisiest)."""

    check_share: float = 0.1
    min_share: float = 0.3
    max_share: float = 0.7
    patience: int = 2

    def __post_init__(self):
        if not (0 < self.check_share <= self.max_share <= 1 and 0 <= self.min_share <= self.max_share
                and self.patience >= 1):
            raise ValueError(f"inconsistent StageSplit {self}: need 0 < check_share <= max_share <= 1, "
                             "0 <= min_share <= max_share, patience >= 1")


def image_stage_stop(checks: list[dict], static: dict | None, rule: StageSplit = StageSplit()) -> str | None:
    """Why stage 1 stops after ``checks`` [{share, fid, std}] (oldest first), or None to continue.

    ``static``: the per-frame static baseline ``{"first", "std"}`` (None: not measured; never "beats static")."""
    if not checks:
        return None
    last = checks[-1]
    if last["share"] >= rule.max_share - 1e-9:
        return "cap"
    if last["share"] < rule.min_share - 1e-9:
        return None
    if static is not None:
        static_std = math.hypot(last["std"], static["std"])   # noise of the difference of the two
        if last["fid"] <= static["first"] + MARGIN_SIGMAS * static_std:
            return "beats static"
    if len(checks) > rule.patience:
        before, recent = checks[:-rule.patience], checks[-rule.patience:]
        best = min(before, key=lambda c: c["fid"])
        gain = best["fid"] - min(c["fid"] for c in recent)
        sigmas = MARGIN_SIGMAS * math.sqrt(2.0)   # of the difference of two measurements
        if (gain <= sigmas * best["std"]
                and trend_gain(checks[-(rule.patience + 1):], rule.patience * rule.check_share)
                <= sigmas * last["std"]):
            return "plateau"
    return None


def trend_gain(window: list[dict], horizon: float) -> float:
    """The FID fall over ``horizon`` more of the budget that the least-squares line through ``window``
    [{share, fid}] predicts (negative: rising). A plateau needs this within noise too: one early spike
    (a GAN's first checks jump by more than their bootstrap std) makes a steadily falling FID look flat
    against the best before it (issue 15: builtin:shapes 16.7 at 2 kimg, then 11.7, 10.9, ..., 4.2 at 8)."""
    x = np.array([c["share"] for c in window], dtype=np.float64)
    if len(x) < 2 or np.ptp(x) == 0:
        return 0.0
    slope = float(np.polyfit(x, [c["fid"] for c in window], 1)[0])   # FID per share
    return -slope * horizon


def split_by_measurement(budget: float, train: Callable[[float], float], measure: Callable[[], dict],
                         static: dict | None, rule: StageSplit = StageSplit(), checks: list[dict] | None = None,
                         done: float = 0.0, log: Callable[[str], None] = lambda msg: None,
                         on_check: Callable[[], None] = lambda: None) -> dict:
    """Run stage 1 by measurement; returns ``{"share", "spent", "reason", "checks", "rule"}``.

    ``budget``: the whole two-stage budget (minutes or kimg; ``train(amount)`` trains that much more and returns
    the amount it did; ``measure()`` -> ``{"fid", "std"}`` of the image generator now). ``checks``/``done``:
    an earlier partial call's (resume); ``checks`` is extended in place and ``on_check()`` called after each,
    so a caller that saves it there can resume. A ``train`` that does less than asked (interrupted) ends the split with reason
    ``interrupted``."""
    checks = [] if checks is None else checks
    spent = done
    reason = image_stage_stop(checks, static, rule)
    while reason is None:
        chunk = min(rule.check_share * budget, rule.max_share * budget - spent)
        if chunk <= 1e-9 * budget:   # resumed at the cap
            reason = "cap"
            break
        got = train(chunk)
        spent += got
        if got < chunk * (1 - 1e-6):
            reason = "interrupted"
            break
        checks.append({"share": round(spent / budget, 6), "spent": spent, **measure()})
        log(f"image generator at {checks[-1]['share']:.0%} of the budget: per-frame FID {checks[-1]['fid']:.1f} "
            f"(+- {checks[-1]['std']:.1f})")
        on_check()
        reason = image_stage_stop(checks, static, rule)
    return {"share": spent / budget, "spent": spent, "reason": reason, "checks": checks, "rule": asdict(rule)}


HANDOFF_KEYS = ("held_still_fvd", "fid")   # what picks the hand-off snapshot, first one every check has


def handoff_check(checks: list[dict]) -> dict:
    """The check of stage 1 whose snapshot stage 2 starts from: the lowest ``held_still_fvd`` (FVD of the image
    generator's frames held still, the protocol of the static baseline; what the motion stage starts from) when
    every check has it, else the lowest per-frame ``fid``. Not the last check: a GAN's image generator can get
    worse while it trains (issue 15, builtin:shapes: held still 1198.0 at 26 kimg, 1703.9 at 54, where the
    split stopped), and the stop rule ends it only after ``patience`` checks without a gain."""
    if not checks:
        raise ValueError("no checks of the image stage to hand over from")
    key = next(k for k in HANDOFF_KEYS if all(c.get(k) is not None for c in checks) or k == "fid")
    best = min(range(len(checks)), key=lambda i: (checks[i][key], -i))   # a tie: the later (more trained) one
    return {"check": best, "by": key, "value": checks[best][key], "share": checks[best]["share"],
            "model": checks[best].get("model")}


def handoff_model(image_run, stage: dict) -> Path:
    """The image generator stage 2 trains on: the snapshot folder of ``stage["handoff"]`` (``handoff_check``)
    inside ``image_run`` (stored as a name, so that a moved run folder still resolves), or ``image_run`` itself
    (its newest model) when there is no hand-off: no checks, or a result written before the hand-off existed."""
    model = (stage.get("handoff") or {}).get("model")
    return Path(image_run) / model if model else Path(image_run)


FRAME_CLIPS = 32   # most clips per side of a per-frame FID: the static I3D costs ~0.1 CPU s per frame


def frame_clips(clips: int) -> int:
    """Clips per side of the per-frame measurements for a benchmark of ``clips`` clips (2..FRAME_CLIPS)."""
    return max(2, min(int(clips), FRAME_CLIPS))


def format_frame_lines(result: dict) -> list[str]:
    """The per-frame lines of ``vidsynth bench --measure learning`` (MoCoGAN-HD; [] for other methods)."""
    lines = []
    base, stage, f = result.get("frame_baselines"), result.get("image_stage"), result.get("frame_fid")
    if base:
        lines.append(f"per-frame FID baselines ({base['clips']} clips, {base['real_frames']} real frames pooled): "
                     f"static {base['static']['first']:.1f} (+- {base['static']['std']:.1f}), noise floor over time "
                     + " ".join(f"{v:.0f}" for v in base["noise_floor"]["fid"]))
    if stage and stage.get("checks"):
        lines.append("image generator per-frame FID by share of the budget: "
                     + ", ".join(f"{c['share']:.0%} {c['fid']:.1f}" for c in stage["checks"])
                     + (f" -> stops at {stage['share']:.0%} ({stage['reason']})" if stage.get("reason") else ""))
        if all(c.get("held_still_fvd") is not None for c in stage["checks"]):
            lines.append("image generator held still (FVD, the static baseline's protocol) by share of the budget: "
                         + ", ".join(f"{c['share']:.0%} {c['held_still_fvd']:.1f}" for c in stage["checks"]))
        if stage.get("handoff"):
            h = stage["handoff"]
            lines.append(f"motion generator starts from the image snapshot at {h['share']:.0%} ({h['model']}; "
                         f"lowest {h['by']}: {h['value']:.1f})")
    if f:
        lines.append(f"per-frame FID, {f['frames']} frames ({f['train_frames']} trained), {f['clips']} clips: "
                     + " ".join(f"{v:.0f}" for v in f["fid"]))
        if "margin" in f:
            unrolled = "-" if f["unrolled_ratio"] is None else f"{f['unrolled_ratio']:.2f}"
            lines.append(f"trajectory vs frame 0: trained frames x{f['trained_ratio']:.2f}, unrolled x{unrolled} "
                         f"(margin {1 + f['margin']:.2f}): {'on' if f['on_manifold'] else 'OFF'} the image manifold")
    m = result.get("motion_diversity")
    if m:
        from vidsynth.models.mocogan_hd.motion_diversity import describe

        lines.append(f"latent motion over {m['frames']} frames, {m['clips']} videos: {describe(m)}")
    return lines
