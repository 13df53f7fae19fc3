"""``--measure loader``: can the data loader feed the trainer? Loader clips/s at a config's clip shape,
next to the clips/s its training step consumes, and the share of step time spent waiting for data.

The dataset is written first to a temporary folder, in the two forms training reads: a zip of PNG
frame folders at the training resolution (what ``vidsynth dataset convert`` writes) and H.264 mp4
files at twice the resolution (decoded, centre-cropped and resized on the fly). Its frames come from
``builtin:scene``. The frame cache is OFF while measuring: a real dataset (UCF-101 is ~2.5 million
frames) is far larger than the cache, so almost every clip is a miss; the numbers are the decoding
cost, not the cache's.

For DIGAN the loader decodes only the 2 frames per clip that ``DIGANTrainer.real_frames`` names (its
Ds see 2 frames); ``all_frames`` measures the same loader decoding every frame of the clip (what it
did before) for comparison. MoCoGAN-HD's Ds see every frame.
"""
from __future__ import annotations

import dataclasses
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from vidsynth.bench.settings import BenchSettings

VIDEOS = 8           # videos in the temporary dataset (clips are drawn from all of them)
EXTRA_FRAMES = 8     # frames per video beyond one clip, so clips start at different frames
LOADER_SECONDS = 2.0  # pull batches from the loader alone for about this long
MAX_LOADER_BATCHES = 64
FORMATS = ("zip", "mp4")  # PNG frame folders in a zip at the training resolution; H.264 mp4 at twice it


def loader_speed(subject, settings: BenchSettings) -> dict:
    """``{"num_workers", "batch", "formats": {zip|mp4: {...}}, "step_clips_per_s", ...}`` for ``subject``."""
    from vidsynth.utils.workers import default_num_workers

    workers, batch = default_num_workers(), settings.batch_size()
    step, frames_of_step = _consumer(subject, batch, settings.device)
    out = {"num_workers": workers, "batch": batch, "clip_shape": [3, subject.frames, subject.resolution,
                                                                   subject.resolution],
           "frames_per_clip_decoded": {"all_frames": subject.frames}, "formats": {}, "note": (
               "frame cache off (a dataset far larger than the cache); loader clips/s measured alone, "
               "wait share measured with the step consuming the loader's batches")}
    if frames_of_step is not None:
        rows = np.concatenate([np.asarray(frames_of_step(s)) for s in range(64)])  # [64 B, 2]
        out["frames_per_clip_decoded"]["step_frames"] = float(np.mean([len(set(r.tolist())) for r in rows]))
    # steps timed while consuming: a paper-scale step takes seconds (its few steps average well); a tiny
    # one takes milliseconds, so more of them are needed for a stable share
    steps = settings.repeat or (settings.repeats(heavy=True) if subject.paper_scale else max(8, settings.repeats()))
    with tempfile.TemporaryDirectory(prefix="vidsynth-bench-loader-") as tmp:
        for fmt in FORMATS:
            dataset = _dataset(Path(tmp), fmt, subject)
            result = {}
            variants = {"all_frames": None} | ({"step_frames": frames_of_step} if frames_of_step else {})
            for name, picker in variants.items():
                result[f"{name}_clips_per_s"] = _loader_rate(dataset, batch, workers, picker)
            consumed = frames_of_step if frames_of_step else None
            result.update(_wait_share(dataset, batch, workers, consumed, step, steps, settings.device))
            out["formats"][fmt] = result
    out["step_clips_per_s"] = min(r["step_clips_per_s"] for r in out["formats"].values())
    out["data_wait_share"] = max(r["data_wait_share"] for r in out["formats"].values())
    out["target_wait_share"] = 0.05
    return out


def _consumer(subject, batch: int, device):
    """``(step(s, clips, labels), frames_of_step or None)``: the method's training step ``s`` on loader batches."""
    if subject.method == "digan":
        from vidsynth.training.digan import DIGANTrainer

        cfg = dataclasses.replace(subject.cfg, batch=batch, mbstd_group=min(subject.cfg.mbstd_group, batch))
        trainer = DIGANTrainer(cfg, torch.device(device))

        def step(s, clips, labels):
            trainer.step(s, clips, labels, s * batch, frames=trainer.real_frames(s, batch))
        return step, lambda s: trainer.real_frames(s, batch)
    run = subject.train_steps(batch, device)["gp"]  # MoCoGAN-HD: the bench's G_M + D step (every frame of the clip)
    return (lambda s, clips, labels: run()), None


def _dataset(root: Path, fmt: str, subject):
    """The temporary dataset in format ``fmt``, opened at the subject's clip shape, frame cache off."""
    from vidsynth.data import open_dataset
    from vidsynth.data.synthetic import SyntheticSource

    frames, res = subject.frames + EXTRA_FRAMES, subject.resolution
    if fmt == "zip":
        from vidsynth.data.convert import convert_dataset

        path = root / "frames.zip"
        if not path.exists():
            convert_dataset("builtin:scene", path, res, max_frames=frames, max_videos=VIDEOS, progress=False)
    else:
        from vidsynth.video.write import write_mp4

        path = root / "mp4"
        if not path.exists():
            path.mkdir()
            source = SyntheticSource("scene")
            for v in range(VIDEOS):
                write_mp4(path / f"v{v}.mp4", source.read(v, np.arange(frames), 2 * res), fps=25)
    dataset = open_dataset(str(path), res, subject.frames)
    dataset.source.set_cache_bytes(0)
    return dataset


def _loader_rate(dataset, batch: int, workers: int, frames_of_step) -> float:
    """Clips/s the loader delivers alone (after its first batch: worker start-up is not throughput)."""
    from vidsynth.data import iterate_batches

    batches = iterate_batches(dataset, batch, seed=0, num_workers=workers, frames_of_step=frames_of_step)
    next(batches)
    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < LOADER_SECONDS and n < MAX_LOADER_BATCHES:
        next(batches)
        n += 1
    rate = n * batch / (time.perf_counter() - start)
    batches.close()
    return rate


def _wait_share(dataset, batch: int, workers: int, frames_of_step, step, steps: int, device) -> dict:
    """Run ``steps`` training steps on loader batches (after one untimed step that starts the workers and
    warms the step up): the step's clips/s and the share of the time spent in ``next(batches)``."""
    from vidsynth.bench.timing import synchronize
    from vidsynth.data import iterate_batches

    batches = iterate_batches(dataset, batch, seed=1, num_workers=workers, frames_of_step=frames_of_step,
                              pin_memory=torch.device(device).type == "cuda")
    step(0, *next(batches))
    waited = computed = 0.0
    for s in range(1, steps + 1):
        start = time.perf_counter()
        clips, labels = next(batches)
        got = time.perf_counter()
        step(s, clips, labels)
        synchronize(device)
        waited, computed = waited + got - start, computed + time.perf_counter() - got
    batches.close()
    return {"step_clips_per_s": steps * batch / computed, "data_wait_share": waited / (waited + computed),
            "steps_timed": steps}
