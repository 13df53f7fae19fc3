"""``vidsynth dataset convert``: any dataset -> a zip of frame folders at one resolution.

Two layouts (``layout``):
- ``vidsynth``: ``<path/of/video>/000000.png ...`` plus ``labels.json`` when the source has classes;
  the folder structure is kept, so folder labels survive.
- ``stylegan-v``: ``<top>/<video>/000000.png ...`` plus ``<top>/dataset.json`` (``{"labels": [[
  "<video>/000000.png", k], ...]}`` or ``null``), with explicit folder entries: what StyleGAN-V's
  ``VideoFramesFolderDataset`` requires (one top folder, videos one level below it, frames two levels
  below; see docs/data.md), and, extracted, what DIGAN's frame-folder loader reads (``<group>/<video>/``).
  Video folders are flat (the last path component; a clash gets ``_2``).

Either is the fastest format to train from: no video decoding, no resizing (when trained at that resolution).
"""
from __future__ import annotations

import json
import os
import warnings
import zipfile
from io import BytesIO
from pathlib import Path

from vidsynth.data.dataset_json import FILENAME, dataset_json_bytes
from vidsynth.data.labels import labels_json, resolve_labels
from vidsynth.data.naming import output_name, safe_component
from vidsynth.video.pixels import check_resolution
from vidsynth.data.sources import open_source
from vidsynth.data.split import apply_split
from vidsynth.data.videos import DataWarning
from vidsynth.errors import DatasetError
from vidsynth.utils.files import atomic_target
from vidsynth.utils.signals import restore_terminate, terminate_as_interrupt

CHUNK = 32  # frames decoded + resized at a time
LAYOUTS = ("vidsynth", "stylegan-v")


def convert_dataset(src, dst, resolution: int, max_frames: int | None = None, fps_stride: int = 1,
                    max_videos: int | None = None, force: bool = False, labels=None, seed: int = 0,
                    progress: bool = True, layout: str = "vidsynth", split=None) -> dict:
    """Write ``dst`` (a ``.zip``) with every video of ``src`` as PNG frames, centre-cropped and resized
    (antialiased) to ``resolution``; keeps every ``fps_stride``-th frame, at most ``max_frames`` per video.

    Atomic: written to a temporary file next to ``dst``, then renamed. Refuses to overwrite ``dst``
    unless ``force``. ``layout``: see the module docstring. ``split``: a split file; only the videos it
    lists are converted (``data/split.py``). Returns ``{"videos", "frames", "skipped", "classes", "path"}``.
    """
    from PIL import Image
    from tqdm import tqdm

    dst = Path(dst)
    if dst.suffix.lower() != ".zip":
        raise DatasetError(f"output '{dst}' must be a .zip file")
    if dst.exists() and not force:
        raise DatasetError(f"'{dst}' already exists; pass --force to overwrite it")
    if resolution < 1 or fps_stride < 1 or (max_frames is not None and max_frames < 1):
        raise DatasetError("resolution, fps_stride and max_frames must be >= 1")
    check_resolution(resolution)
    if layout not in LAYOUTS:
        raise DatasetError(f"unknown layout '{layout}'; choose from {', '.join(LAYOUTS)}")
    source = apply_split(open_source(src, min_frames=1, seed=seed), split)
    class_names, labs = resolve_labels(source, labels)
    flat = layout == "stylegan-v"
    if flat and class_names and min(labs[:max_videos or len(labs)], default=0) < 0:
        raise DatasetError(f"StyleGAN-V needs a label for every video, but {sum(lab < 0 for lab in labs)} videos of "
                           f"'{src}' have none; label them all or pass --labels none")
    top = safe_component(dst.name[: -len(dst.suffix)]) + "/" if flat else ""
    count = len(source) if max_videos is None else min(len(source), max_videos)
    plans = []  # (video index, output folder, frame indices)
    used = set()
    for i in range(count):
        frames = list(range(0, source.num_frames(i), fps_stride))[:max_frames]
        is_file = not getattr(source, "records", None) or not source.records[i].frames
        base = output_name(source.name(i), is_video_file=is_file)
        if flat:
            base = top + base.rsplit("/", 1)[-1]
        name, k = base, 2
        while name in used:  # "a.mp4" and "a.avi" would both become "a"
            name, k = f"{base}_{k}", k + 1
        used.add(name)
        plans.append((i, name, frames))

    tmp = atomic_target(dst)  # streamed into over the whole conversion, renamed over dst at the end
    written, skipped, names, kept = 0, list(source.skipped), [], []
    per_frame = []  # stylegan-v: (frame path relative to the top folder, class index)
    previous = terminate_as_interrupt()  # SIGTERM runs the `finally` below too: no partial .tmp is left
    try:
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_STORED) as zf, \
                tqdm(total=sum(len(p[2]) for p in plans), unit="frame", disable=not progress,
                     desc=f"convert -> {dst.name}") as bar:
            if flat:
                zf.writestr(top, b"")  # StyleGAN-V takes the first (sorted) entry as the root folder
            for i, name, frames in plans:
                members = []  # written only once the whole video has decoded
                try:
                    for c in range(0, len(frames), CHUNK):
                        for k, image in enumerate(source.read(i, frames[c:c + CHUNK], resolution), start=c):
                            buf = BytesIO()
                            Image.fromarray(image).save(buf, format="PNG", compress_level=3)
                            members.append((f"{name}/{k:06d}.png", buf.getvalue()))
                        bar.update(min(CHUNK, len(frames) - c))
                except DatasetError as e:  # a file that probed fine but fails to decode part way
                    warnings.warn(f"skipping {source.name(i)}: {e}", DataWarning, stacklevel=2)
                    skipped.append((source.name(i), str(e)))
                    continue
                if flat:
                    zf.writestr(name + "/", b"")  # StyleGAN-V finds videos by their folder entries
                    per_frame += [(member[len(top):], labs[i]) for member, _ in members]
                for member, data in members:
                    zf.writestr(member, data)
                names.append(name)
                kept.append(labs[i])
                written += len(frames)
            if flat:
                zf.writestr(top + FILENAME, dataset_json_bytes(per_frame) if class_names
                            else json.dumps({"labels": None}).encode())
            elif class_names:
                zf.writestr("labels.json", labels_json(names, kept, class_names))
        os.replace(tmp, dst)
    finally:
        tmp.unlink(missing_ok=True)
        restore_terminate(previous)
    return {"path": str(dst), "videos": len(names), "frames": written, "skipped": skipped,
            "classes": class_names}
