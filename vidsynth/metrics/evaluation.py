"""``evaluate``: the one entry point for computing metrics (used by the CLI and by training).

    results = evaluate(["fvd2048_16f", "kvd2048_16f"], real="~/ucf101", fake=vidsynth.load(run))
    results = evaluate(protocol="stylegan-v", real="~/ucf101", fake="samples/")   # a paper's protocol

Each result is a dict ready for ``metrics.jsonl``: metric name, value (mean over runs), std,
per-run values, clip counts, the full protocol record (every choice that changes the number),
feature network, time. Generated clips are drawn fresh in every run (seed + run); real features
are computed once, cached on disk (cache.py) or read from a portable statistics file
(stats_file.py). Nothing mismatches silently: a real/generated difference in temporal stride,
frame count or aspect ratio is an error that says what to change.
"""
from __future__ import annotations

import datetime as _dt
import time
import warnings
from pathlib import Path

import numpy as np
import torch

from vidsynth.errors import ConfigError, DatasetError
from vidsynth.metrics import sources
from vidsynth.metrics.cache import dataset_fingerprint, load_stats, save_stats, stats_key
from vidsynth.metrics.fake_sources import open_fake
from vidsynth.metrics.presets import get_preset
from vidsynth.metrics.protocols import Protocol, parse_protocol
from vidsynth.metrics.stats import FeatureStats

NO_CLASSIFIER = ("the video Inception Score needs a classifier: pass a TorchScript video classifier "
                 "(classifier=... / --classifier PATH). The C3D fine-tuned on UCF-101 that papers use "
                 "is not available from the package registry; scores from other classifiers are not "
                 "comparable with published ones.")
# Below this many clips the 400 x 400 covariance of the I3D logits is rank-deficient.
MIN_CLIPS_FVD = 400
SAMPLING_VERSION = "v2"  # bump when the real-clip drawing changes (part of every cache key)


class SmallSampleWarning(UserWarning):
    """A Frechet distance computed from fewer clips than feature dimensions."""


def small_sample_message(name: str, n: int, dim: int) -> str:
    return (f"{name}: {n} clips are fewer than the {dim} feature dimensions, so the covariance estimates are "
            "singular and the Frechet distance is biased upward (the bias falls roughly as 1/N); compare it only "
            f"with numbers computed with the same N, and use at least {MIN_CLIPS_FVD} clips for published numbers")


class _Evaluator:
    """Holds feature networks and computed features so metrics that share work compute it once."""

    def __init__(self, real, fake, device, batch_size, resolution, i3d, classifier, acd_features, resize,
                 use_cache, progress, seed, num_workers=0, real_stride=1, fake_stride=1,
                 clip_sampling="per_video", labels=None, balanced=False, per_class=False, real_stats=None,
                 split=None):
        self.real_spec, self.fake = real, fake
        self.device, self.batch_size, self.resolution = torch.device(device), batch_size, resolution
        self.i3d_path, self.classifier_path, self.acd_features = i3d, classifier, acd_features
        self.resize, self.use_cache, self.seed, self.num_workers = resize, use_cache, seed, num_workers
        self.real_stride, self.fake_stride, self.clip_sampling = real_stride, fake_stride, clip_sampling
        self.labels, self.balanced, self.per_class = labels, balanced or per_class, per_class
        self.split = None if split is None else str(split)  # a split file: only the real videos it lists
        self.real_stats = None
        if real_stats is not None:
            from vidsynth.metrics.stats_file import read_stats_file

            self.real_stats = (real_stats, read_stats_file(real_stats))
        self._nets, self._fake_memo, self._real_memo, self._datasets = {}, {}, {}, {}
        self._fingerprint = ...  # computed once (walks and hashes the real data's files)
        self.class_names: list[str] = []  # real classes, set when the real side is class-balanced
        self.saved: dict[str, np.ndarray] = {}  # every feature array, for --save-features
        from tqdm import tqdm

        self.bar = tqdm(total=0, desc="metrics", unit="clip", disable=not progress, dynamic_ncols=True)

    # -- feature networks -------------------------------------------------------------------
    def net(self, kind: str):
        if kind not in self._nets:
            from vidsynth.metrics import features as F

            if kind == "i3d":
                self._nets[kind] = F.I3DLogits(self.device, path=self.i3d_path, resize=self.resize)
            elif kind == "frames_i3d":
                self._nets[kind] = F.I3DFrameFeatures(self.device, resize=self.resize)
            elif kind == "frames_mean_color":
                self._nets[kind] = F.MeanColorFrames()
            elif kind == "classifier":
                if not self.classifier_path:
                    raise ConfigError(NO_CLASSIFIER)
                self._nets[kind] = F.VideoClassifier(self.classifier_path, self.device)
            else:
                raise ValueError(kind)
        return self._nets[kind]

    @staticmethod
    def net_kind(proto: Protocol, acd_features: str) -> str:
        if proto.kind in ("fvd", "kvd"):
            return "i3d"
        if proto.kind == "is":
            return "classifier"
        if proto.kind == "acd":
            if acd_features not in ("i3d", "mean_color"):
                raise ConfigError(f"unknown ACD features {acd_features!r}: choose i3d or mean_color")
            return f"frames_{acd_features}"
        return "frames_i3d"  # ffid, fkid

    # -- running a network over batches -------------------------------------------------------
    def _extract(self, kind: str, batches, desc: str) -> np.ndarray:
        """Features of every clip: ``[N, D]`` (video nets) or ``[N, T, D]`` (frame nets), float64."""
        net, out = self.net(kind), []
        self.bar.set_description(desc)
        with torch.inference_mode():
            for videos in batches:
                out.append(net(videos).double().cpu().numpy())
                self.bar.update(len(videos))
        feats = np.concatenate(out)
        if not np.isfinite(feats).all():
            raise DatasetError(f"{desc}: the feature network produced NaN/inf (are the videos finite?)")
        return feats

    def plan(self, protos, num_runs: int) -> None:
        """Size the progress bar: every clip to extract (real ones found in a cache are taken off later)."""
        seen = set()
        for p in protos:
            kind = self.net_kind(p, self.acd_features)
            seen |= {("fake", kind, p.frames, p.subsample, p.num_fake, r) for r in range(num_runs)}
            if p.needs_real and self.real_stats is None:
                seen.add(("real", kind, p.frames, p.subsample, p.num_real))
        self.bar.total = sum(k[4] for k in seen)
        self.bar.refresh()

    # -- real side ------------------------------------------------------------------------------
    def real_record(self, proto: Protocol, kind: str) -> dict:
        """Everything that determines the real features (the cache key and the stats-file record)."""
        return {"resolution": self.resolution, "frames": proto.frames, "subsample": proto.subsample,
                "real_stride": self.real_stride, "clip_sampling": self.clip_sampling,
                "class_balanced": self.balanced, "num": proto.num_real, "seed": self.seed,
                "network": self.net(kind).name, "resize": self.resize, "sampling": SAMPLING_VERSION,
                "split": self.split and Path(self.split).name}

    def real_dataset(self, proto: Protocol):
        """The real data opened for ``proto``: clips of ``frames_used`` frames every ``real_stride * k``-th."""
        if not isinstance(self.real_spec, (str, Path)):  # a ClipDataset-like object with its own frames
            ds = self.real_spec
            have, stride = getattr(ds, "frames", None), getattr(ds, "stride", 1)
            if have is not None and have < proto.frames:
                raise ConfigError(f"{proto.name} needs {proto.frames}-frame real clips; the dataset gives {have}")
            if stride != self.real_stride:
                raise ConfigError(f"the real dataset object reads clips at stride {stride} but the metric needs stride "
                                  f"{self.real_stride}: open it with stride={self.real_stride}, or pass real_stride={stride}")
            return ds
        key = (proto.frames_used, proto.subsample)
        if key not in self._datasets:
            from vidsynth.data import open_dataset

            self._datasets[key] = open_dataset(str(self.real_spec), self.resolution, proto.frames_used,
                                               stride=self.real_stride * proto.subsample, seed=0,
                                               labels=(self.labels or "auto") if self.balanced else "none",
                                               split=self.split)
        return self._datasets[key]

    def real_keys(self, ds, proto: Protocol, span: int):
        """(video, start) keys and, when class-balanced, the class of each key."""
        if self.balanced:
            keys, labels = sources.balanced_clip_keys(ds, proto.num_real, span, self.seed, self.clip_sampling)
            self.class_names = list(ds.class_names)
            return keys, labels
        return sources.real_clip_keys(ds, proto.num_real, span, self.seed, self.clip_sampling), None

    def real_batches(self, proto: Protocol):
        ds = self.real_dataset(proto)
        if not isinstance(self.real_spec, (str, Path)):  # the object reads its own clip: starts must fit its span
            span = getattr(ds, "span", None) or (getattr(ds, "frames", proto.frames) - 1) * self.real_stride + 1
            keys, labels = self.real_keys(ds, proto, span)
            return sources.iter_real(ds, proto.num_real, span, self.batch_size, self.seed,
                                     slice(0, proto.frames, proto.subsample), keys=keys), labels
        span = (proto.frames_used - 1) * proto.subsample * self.real_stride + 1
        keys, labels = self.real_keys(ds, proto, span)
        return sources.iter_real(ds, proto.num_real, span, self.batch_size, self.seed,
                                 num_workers=self.num_workers, keys=keys), labels

    def real_features(self, proto: Protocol, kind: str) -> tuple[np.ndarray, np.ndarray | None]:
        """Real features (``[N, D]`` or ``[N, T, D]``) and the class of each clip (None unless class-balanced)."""
        record = self.real_record(proto, kind)
        key = tuple(sorted(record.items())) + (kind,)
        if key in self._real_memo:
            return self._real_memo[key]
        if self.real_stats is not None:
            feats, labels = self._real_from_file(record)
        else:
            fingerprint = self.fingerprint() if self.use_cache else None
            ckey = fingerprint and stats_key(fingerprint, **record)
            cached = load_stats(ckey) if ckey else None
            if cached is not None and (cached.labels is not None or not self.balanced):
                feats, labels = cached.features, cached.labels
                if self.balanced:
                    self.class_names = list(self.real_dataset(proto).class_names)
                self.bar.total -= proto.num_real
                self.bar.refresh()
            else:
                batches, labels = self.real_batches(proto)
                feats = self._extract(kind, batches, f"real {proto.frames}f")
                if ckey:
                    stats = FeatureStats(keep_features=True)
                    stats.update(feats.reshape(len(feats), -1))
                    save_stats(ckey, stats, labels)
        feats = feats.reshape(proto.num_real, *self._feature_shape(kind, proto))
        self.saved[f"real__{proto.name}"] = feats
        self._real_memo[key] = (feats, labels)
        return feats, labels

    def _real_from_file(self, record: dict):
        from vidsynth.metrics.stats_file import find_entry

        path, entries = self.real_stats
        fingerprint = self.fingerprint()
        entry = find_entry(entries, {"data": fingerprint, **record}, path, check_data=fingerprint is not None)
        if self.balanced:
            if entry["labels"] is None:
                raise ConfigError(f"--real-stats {path} was not computed class-balanced; recompute it with --class-balanced")
            self.class_names = list(entry["class_names"])
        return entry["features"], entry["labels"]

    def stats_entry(self, proto: Protocol) -> dict:
        """The real side of ``proto`` as a portable stats-file entry (``vidsynth metrics stats``)."""
        kind = self.net_kind(proto, self.acd_features)
        feats, labels = self.real_features(proto, kind)
        return {"record": {"data": self.fingerprint(), **self.real_record(proto, kind)},
                "features": feats.reshape(len(feats), -1), "labels": labels, "class_names": self.class_names}

    def fingerprint(self):
        if self._fingerprint is ...:
            self._fingerprint = dataset_fingerprint(self.real_spec) if self.real_spec is not None else None
            if self._fingerprint is not None and self.split is not None:  # the split's videos: statistics of their own
                import hashlib

                digest = hashlib.sha256(Path(self.split).read_bytes()).hexdigest()
                self._fingerprint = f"{self._fingerprint}|split {digest}"
        return self._fingerprint

    def _feature_shape(self, kind, proto):
        return (proto.frames_used, -1) if kind.startswith("frames") else (-1,)

    # -- fake side ------------------------------------------------------------------------------
    def fake_label(self, name: str):
        """What to pass to the fake source for real class ``name`` (its index there, or the name for a sampler)."""
        names = self.fake.class_names
        if name not in names:
            raise ConfigError(f"--per-class: the real class '{name}' is not a class of the generated videos "
                              f"({', '.join(names[:5])}{', ...' if len(names) > 5 else ''}); per-class FVD needs "
                              "a class-conditional model or labelled fake videos with the same class names")
        return names.index(name) if hasattr(self.fake, "videos") else name

    def fake_features(self, proto: Protocol, kind: str, run: int) -> tuple[np.ndarray, np.ndarray | None]:
        key = (kind, proto.frames, proto.subsample, proto.num_fake, run)
        if key not in self._fake_memo:
            if run > 0 and not self.fake.reusable:
                raise ConfigError(f"{self.fake.description} can be read only once; use runs=1")
            step = self.fake_stride * proto.subsample
            desc = f"fake {proto.frames}f run {run}"
            if self.per_class:
                if not self.fake.class_names:
                    raise ConfigError("--per-class needs class-labelled generated videos: a class-conditional model, "
                                      "or a folder / zip with labels (labels.json or --labels folders)")
                parts, labels = [], []
                quotas = sources.class_quotas(proto.num_fake, len(self.class_names))
                for c, (name, quota) in enumerate(zip(self.class_names, quotas)):
                    if quota:
                        batches = self.fake.batches(quota, proto.frames_used, step, self.batch_size,
                                                    self.seed + run, label=self.fake_label(name))
                        parts.append(self._extract(kind, batches, f"{desc} {name}"))
                        labels += [c] * quota
                result = (np.concatenate(parts), np.array(labels, dtype=np.int64))
            else:
                batches = self.fake.batches(proto.num_fake, proto.frames_used, step, self.batch_size, self.seed + run)
                result = (self._extract(kind, batches, desc), None)
            self._fake_memo[key] = result
            self.saved[f"fake__{proto.name}__run{run}"] = result[0]
        return self._fake_memo[key]

    # -- one metric, one run --------------------------------------------------------------------
    def compute(self, proto: Protocol, run: int, is_splits: int) -> tuple[float, dict]:
        """The value, and per-class values (empty unless ``per_class``)."""
        from vidsynth.metrics.acd import average_content_distance
        from vidsynth.metrics.inception_score import inception_score

        kind = self.net_kind(proto, self.acd_features)
        if proto.needs_real:  # real first: class-balanced sampling fixes the classes the fake side follows
            real, real_labels = self.real_features(proto, kind)
        fake, fake_labels = self.fake_features(proto, kind, run)
        if proto.kind == "is":
            return inception_score(fake, splits=is_splits)[0], {}
        if proto.kind == "acd":
            return average_content_distance(fake), {}
        value = self.distance(proto, real, fake)
        per_class = {}
        if self.per_class:
            for c, name in enumerate(self.class_names):
                per_class[name] = self.distance(proto, real[real_labels == c], fake[fake_labels == c], warn=False)
        return value, per_class

    @staticmethod
    def distance(proto: Protocol, real: np.ndarray, fake: np.ndarray, warn: bool = True) -> float:
        from vidsynth.metrics.fvd import frechet_distance
        from vidsynth.metrics.kvd import kernel_distance

        real, fake = real.reshape(-1, real.shape[-1]), fake.reshape(-1, fake.shape[-1])  # frames pooled (ffid/fkid)
        if len(real) < 2 or len(fake) < 2:
            raise ConfigError(f"{proto.name}: a distance needs at least 2 real and 2 generated clips "
                              f"(got {len(real)} and {len(fake)}); raise --num-real / --num-fake")
        if proto.kind in ("fvd", "ffid"):
            if warn and min(len(real), len(fake)) < real.shape[-1]:  # 400 for the I3D logits
                warnings.warn(small_sample_message(proto.name, min(len(real), len(fake)), real.shape[-1]),
                              SmallSampleWarning, stacklevel=3)
            r, f = FeatureStats(), FeatureStats()
            r.update(real), f.update(fake)
            return frechet_distance(r.mean, r.cov, f.mean, f.cov)
        return kernel_distance(real, fake)  # kvd, fkid


def _kernel_mode(proto: Protocol) -> str:
    from vidsynth.metrics.kvd import MAX_FULL

    per_set = max(proto.num_real, proto.num_fake) * (proto.frames_used if proto.kind == "fkid" else 1)
    return "all samples" if per_set <= MAX_FULL else "mean over 100 random subsets of 1000 (seed 0)"


def resolve_real_stride(real_stride, preset_stride, fake_train_stride, fake_stride) -> int:
    """The real clips' stride, and the stride rule: real stride = the model's training stride x fake stride.

    A generated video's consecutive frames stand for frames ``train_stride`` apart in the training
    videos, so real clips must be read ``train_stride * fake_stride`` frames apart to match.
    """
    expected = None if fake_train_stride is None else fake_train_stride * fake_stride
    chosen = real_stride if real_stride is not None else preset_stride
    if chosen is None:
        return expected if expected is not None else fake_stride
    chosen = int(chosen)
    if chosen < 1:
        raise ConfigError(f"real stride must be >= 1, got {chosen}")
    if expected is not None and chosen != expected:
        raise ConfigError(f"stride mismatch: the model was trained on clips taking every {fake_train_stride}-th "
                          f"frame{'' if fake_stride == 1 else f' and every {fake_stride}-th generated frame is used'}, "
                          f"so its clips match real clips at stride {expected}, but real clips are read at stride "
                          f"{chosen}: pass --real-stride {expected} (or drop --real-stride)")
    return chosen


def evaluate(metrics=None, real=None, fake=None, device="cpu", num_runs: int | None = None,
             num_real: int | None = None, num_fake: int | None = None, seed: int = 0, batch_size: int = 8,
             resolution: int | None = None, i3d: str | None = None, classifier: str | None = None,
             acd_features: str = "i3d", resize: str | None = None, use_cache: bool = True, progress: bool = True,
             is_splits: int = 10, num_workers: int = 0, protocol: str | None = None, real_stride: int | None = None,
             fake_stride: int | None = None, clip_sampling: str | None = None, labels=None,
             class_balanced: bool = False, per_class: bool = False, real_stats=None, save_features=None,
             split=None) -> list[dict]:
    """Compute ``metrics`` (names like ``"fvd2048_16f"``, see protocols.py) -> one result dict each.

    real: dataset spec (``builtin:NAME``, folder, zip) or a ClipDataset-like object
          (``num_videos``, ``clip(i, start, flip=False)``, optionally ``num_frames(i)``, ``fingerprint``).
    fake: anything fake_sources.open_fake reads: a sampler, a run / exported-model folder, a folder or
          zip of videos or frame folders, ``builtin:NAME``, a .npz/.npy path or array of uint8
          ``[N, T, H, W, 3]``, or an iterable of videos.
    protocol: a paper preset (presets.py: stylegan-v, digan, mocogan-hd, tats) setting the defaults of
          metrics, resize, clip_sampling, num_runs and strides; explicit arguments override it.
    resolution: resolution the real clips are read at (default: that of the generated videos).
    real_stride / fake_stride: frame step inside real clips / between the generated frames used
          (real default: the model's training stride x fake_stride; the two must agree when known).
    clip_sampling: ``per_video`` or ``per_clip`` (sources.py). class_balanced: split real clips evenly
          over classes (labels: ``auto`` / ``folders`` / a JSON file, as in training). per_class: also
          report the metric per class (implies class_balanced; needs labelled fakes).
    real_stats: a file from ``vidsynth metrics stats`` used instead of computing real features.
    save_features: write every feature array (real and per-run fake) to this .npz.
    split: a split file (data/split.py: relative paths or UCF-101 list lines): only the real videos it lists.
    i3d: TorchScript I3D to use instead of the built-in one. classifier: TorchScript for IS.
    num_workers: DataLoader processes decoding real clips (a dataset spec only).
    """
    preset = get_preset(protocol)
    metrics = preset.metrics if metrics is None else metrics
    if isinstance(metrics, str):
        metrics = [m for m in metrics.split(",") if m.strip()]
    if fake is None:
        raise ConfigError("evaluate needs fake videos: a sampler, a run folder, a folder / zip / npz of videos")
    from vidsynth.metrics.resize import METHODS

    resize = resize or preset.resize
    if resize not in METHODS:
        raise ConfigError(f"unknown resize {resize!r}: choose from {', '.join(METHODS)}")
    clip_sampling = clip_sampling or preset.clip_sampling
    if clip_sampling not in ("per_video", "per_clip"):
        raise ConfigError(f"clip sampling must be per_video or per_clip, got {clip_sampling!r}")
    num_runs = preset.num_runs if num_runs is None else int(num_runs)
    if num_runs < 1:
        raise ConfigError("num_runs must be >= 1")
    if batch_size < 1:
        raise ConfigError(f"batch size must be >= 1, got {batch_size}")
    fake_stride = int(preset.fake_stride if fake_stride is None else fake_stride)
    if fake_stride < 1:
        raise ConfigError(f"fake stride must be >= 1, got {fake_stride}")
    protos = [parse_protocol(m, num_real, num_fake) for m in metrics]
    needs_real = any(p.needs_real for p in protos)
    if needs_real and real is None and real_stats is None:
        raise ConfigError(f"{', '.join(p.name for p in protos if p.needs_real)} need real data (--real or --real-stats)")
    if isinstance(real, (str, Path)) and not str(real).startswith("builtin:"):
        real = str(Path(real).expanduser())
    fake_desc = str(fake) if isinstance(fake, (str, Path)) else type(fake).__name__
    source = open_fake(fake, device=str(device), labels=labels, resolution=resolution)
    source.num_workers = num_workers if hasattr(source, "num_workers") else 0
    real_stride = resolve_real_stride(real_stride, preset.real_stride, source.train_stride, fake_stride)
    if needs_real:
        h, w = source.size
        if h != w:
            raise ConfigError(f"the generated videos are {w}x{h}, not square, but real clips are square centre crops: "
                              f"centre-crop them to square first (e.g. vidsynth dataset convert {fake_desc} OUT -r {min(h, w)})")
        resolution = resolution or h
    ev = _Evaluator(real, source, device, batch_size, resolution, i3d, classifier, acd_features, resize,
                    use_cache, progress, seed, num_workers, real_stride, fake_stride, clip_sampling, labels,
                    class_balanced, per_class, real_stats, split)
    ev.plan(protos, num_runs)
    results = []
    try:
        for proto in protos:
            start = time.time()
            if per_class and not proto.needs_real:
                raise ConfigError(f"--per-class applies to metrics with real data, not {proto.name}")
            outcomes = [ev.compute(proto, run, is_splits) for run in range(num_runs)]
            values = [v for v, _ in outcomes]
            kind = ev.net_kind(proto, acd_features)
            result = {
                "metric": proto.name,
                "value": float(np.mean(values)),
                "std": float(np.std(values)),
                "values": [float(v) for v in values],
                "num_runs": num_runs,
                "num_real": proto.num_real,
                "num_fake": proto.num_fake,
                "feature_network": ev.net(kind).name,
                "protocol": protocol_record(proto, ev, preset, kind, num_runs, real_stats, source, is_splits),
                "real": None if real is None else (str(real) if isinstance(real, (str, Path)) else repr(real)[:300]),
                "fake": fake_desc,
                "time_s": round(time.time() - start, 2),
                "timestamp": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
            }
            if per_class:
                result["per_class"] = {name: float(np.mean([pc[name] for _, pc in outcomes])) for name in ev.class_names}
            results.append(result)
    finally:
        ev.bar.close()
    if save_features:
        from vidsynth.metrics.stats_file import write_features_file

        write_features_file(save_features, ev.saved, {"results": results})
    return results


def protocol_record(proto: Protocol, ev: _Evaluator, preset, kind: str, num_runs: int, real_stats, source,
                    is_splits: int) -> dict:
    """Every choice that changes the number, stored with it."""
    record = {
        "preset": preset.name,
        "frames": proto.frames, "subsample": proto.subsample, "frames_used": proto.frames_used,
        "num_real": proto.num_real, "num_fake": proto.num_fake, "num_runs": num_runs,
        "resolution": ev.resolution,  # real clips were read at this size (None: not needed)
        "resize": f"{ev.resize} to 224" if kind.startswith(("i3d", "frames_i3d")) else "none",
        "real_stride": ev.real_stride if proto.needs_real else None,
        "fake_stride": ev.fake_stride, "model_train_stride": source.train_stride,
        "clip_sampling": ev.clip_sampling if proto.needs_real else None,
        "class_balanced": ev.balanced if proto.needs_real else None,
        "per_class": ev.per_class,
        "range": "[-1, 1]",
        "real_sampling": (f"{ev.clip_sampling}{', class-balanced' if ev.balanced else ''}, no flips, seed {ev.seed}"
                          if proto.needs_real else None),
        "real_stats": str(real_stats) if real_stats is not None else None,
        "fake_seeds": [ev.seed + r for r in range(num_runs)],
    }
    if proto.kind in ("kvd", "fkid"):
        record["estimator"] = "unbiased MMD^2, poly kernel (x.y/d+1)^3, " + _kernel_mode(proto)
    if proto.kind in ("fvd", "ffid"):
        record["covariance"] = "float64, ddof=1; scipy.linalg.sqrtm real part"
    if proto.kind == "is":
        record["splits"] = is_splits
    return record


def export_real_stats(data, out, metrics=None, resolution: int | None = None, protocol: str | None = None,
                      device="cpu", seed: int = 0, batch_size: int = 8, i3d: str | None = None, resize=None,
                      num_real: int | None = None, real_stride: int | None = None, clip_sampling=None,
                      labels=None, class_balanced: bool = False, num_workers: int = 0, progress: bool = True,
                      use_cache: bool = True, split=None) -> Path:
    """Compute the real side of ``metrics`` on ``data`` and write a portable stats file to ``out``."""
    from vidsynth.metrics.stats_file import write_stats_file

    preset = get_preset(protocol)
    metrics = preset.metrics if metrics is None else metrics
    if isinstance(metrics, str):
        metrics = [m for m in metrics.split(",") if m.strip()]
    if not resolution:
        raise ConfigError("statistics need the resolution real clips are read at (--resolution, e.g. that of your "
                          "generator)")
    resize = resize or preset.resize
    protos = [p for p in (parse_protocol(m, num_real, None) for m in metrics) if p.needs_real]
    if not protos:
        raise ConfigError("none of the metrics uses real data (fvd, kvd, ffid, fkid)")
    stride = int(real_stride if real_stride is not None else (preset.real_stride or 1))
    ev = _Evaluator(str(Path(data).expanduser()) if not str(data).startswith("builtin:") else str(data), None,
                    device, batch_size, resolution, i3d, None, "i3d", resize, use_cache, progress, seed,
                    num_workers, stride, 1, clip_sampling or preset.clip_sampling, labels, class_balanced,
                    split=split)
    ev.bar.total = sum(p.num_real for p in protos)
    try:
        entries = []
        done = set()
        for p in protos:
            key = (ev.net_kind(p, "i3d"), p.frames, p.subsample, p.num_real)
            if key not in done:
                done.add(key)
                entries.append(ev.stats_entry(p))
    finally:
        ev.bar.close()
    return write_stats_file(out, entries)
