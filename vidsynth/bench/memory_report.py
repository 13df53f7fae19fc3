"""``vidsynth bench --measure memory``: what the DIGAN paper's appendix I compares, and long videos.

- Training memory at batch 4 (the paper: 9.7 GB DIGAN vs 28.0 GB MoCoGAN-HD per V100): the peak of
  each kind of training step (``training.training_step`` with batch 4 only; a batch that does not
  fit this machine is reported as an estimate, marked ``estimated``).
- Generation memory at batch 4 for 16, 128 and 1024 frames, rendered in chunks of 8 frames
  (``long_video.long_video_memory``): the working memory must stay flat in the length; all at once
  is measured for the config's own clip length only, for reference.
"""
from __future__ import annotations

import dataclasses

from vidsynth.bench.long_video import long_video_memory
from vidsynth.bench.settings import BenchSettings
from vidsynth.bench.training import training_step

BATCH = 4
LENGTHS = (16, 128, 1024)


def memory_report(subject, settings: BenchSettings) -> dict:
    train = training_step(subject, dataclasses.replace(settings, train_batches=(BATCH,), repeat=1))
    rows = [r for r in train["rows"] if r["batch"] == BATCH]
    return {"training": {"batch": BATCH, "rows": rows,
                         "peak_mem_gib": max(r["peak_mem_gib"] for r in rows),
                         "estimated": any(r.get("estimated") for r in rows)},
            "generation": long_video_memory(subject, settings, list(LENGTHS), batch=BATCH,
                                            all_at_once_up_to=subject.frames)}
