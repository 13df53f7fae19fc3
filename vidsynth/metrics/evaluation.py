"""``evaluate``: the one entry point for computing metrics (used by the CLI and by training).

    results = evaluate(["fvd2048_16f", "kvd2048_16f"], real="~/ucf101", fake=vidsynth.load(run))

Each result is a dict ready for ``metrics.jsonl``: metric name, value (mean over runs), std,
per-run values, clip counts, protocol details, feature network, time. Generated clips are drawn
fresh in every run (seed + run); real statistics are computed once and cached (see cache.py).
"""
from __future__ import annotations

import datetime as _dt
import time
from pathlib import Path

import numpy as np
import torch

from vidsynth.errors import ConfigError, DatasetError
from vidsynth.metrics import sources
from vidsynth.metrics.cache import dataset_fingerprint, load_stats, save_stats, stats_key
from vidsynth.metrics.protocols import Protocol, parse_protocol
from vidsynth.metrics.stats import FeatureStats

NO_CLASSIFIER = ("the video Inception Score needs a classifier: pass a TorchScript video classifier "
                 "(classifier=... / --classifier PATH). The C3D fine-tuned on UCF-101 that papers use "
                 "is not available from the package registry; scores from other classifiers are not "
                 "comparable with published ones.")


def is_run_folder(path) -> bool:
    p = Path(path)
    return p.is_dir() and ((p / "config.json").is_file() or (p / "model").is_dir())


class _Evaluator:
    """Holds feature networks and computed features so metrics that share work compute it once."""

    def __init__(self, real, fake, device, batch_size, resolution, i3d, classifier, acd_features,
                 resize, use_cache, progress, seed, num_workers=0):
        self.num_workers = num_workers
        self.real_spec, self.fake = real, fake
        self.device, self.batch_size, self.resolution = torch.device(device), batch_size, resolution
        self.i3d_path, self.classifier_path, self.acd_features = i3d, classifier, acd_features
        self.resize, self.use_cache, self.progress, self.seed = resize, use_cache, progress, seed
        self._nets, self._fake_memo, self._real_memo, self._datasets = {}, {}, {}, {}

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
    def _extract(self, kind: str, batches, total: int, desc: str) -> np.ndarray:
        """Features of every clip: ``[N, D]`` (video nets) or ``[N, T, D]`` (frame nets), float64."""
        from tqdm import tqdm

        net, out = self.net(kind), []
        with torch.inference_mode(), tqdm(total=total, desc=desc, unit="clip", disable=not self.progress, leave=False) as bar:
            for videos in batches:
                out.append(net(videos).double().cpu().numpy())
                bar.update(len(videos))
        feats = np.concatenate(out)
        if not np.isfinite(feats).all():
            raise DatasetError(f"{desc}: the feature network produced NaN/inf (are the videos finite?)")
        return feats

    # -- real side ------------------------------------------------------------------------------
    def real_batches(self, proto: Protocol):
        """Real clip batches for ``proto``. A spec is opened with ``frames=T/k, stride=k`` so only the
        frames used are decoded and a clip spans ``(T/k - 1) * k + 1`` source frames (as StyleGAN-V)."""
        span = (proto.frames_used - 1) * proto.subsample + 1
        if not isinstance(self.real_spec, (str, Path)):  # a ClipDataset-like object with its own frames
            ds = self.real_spec
            have = getattr(ds, "frames", None)
            if have is not None and have < proto.frames:
                raise ConfigError(f"{proto.name} needs {proto.frames}-frame real clips; the dataset gives {have}")
            take = slice(0, proto.frames, proto.subsample)
            return sources.iter_real(ds, proto.num_real, proto.frames, self.batch_size, self.seed, take)
        key = (proto.frames_used, proto.subsample)
        if key not in self._datasets:
            try:
                from vidsynth.data import open_dataset
            except ImportError as e:
                raise ConfigError("real data needs vidsynth.data.open_dataset, which this install lacks") from e
            self._datasets[key] = open_dataset(str(self.real_spec), self.fake_resolution(), proto.frames_used,
                                               stride=proto.subsample, seed=0)
        return sources.iter_real(self._datasets[key], proto.num_real, span, self.batch_size, self.seed,
                                 num_workers=self.num_workers)

    def real_features(self, proto: Protocol, kind: str) -> np.ndarray:
        key = (kind, proto.frames, proto.subsample, proto.num_real)
        if key in self._real_memo:
            return self._real_memo[key]
        fingerprint = dataset_fingerprint(self.real_spec) if self.use_cache else None
        net_name = self.net(kind).name
        ckey = fingerprint and stats_key(
            fingerprint, resolution=None if not isinstance(self.real_spec, (str, Path)) else self.fake_resolution(),
            frames=proto.frames, subsample=proto.subsample, num=proto.num_real, seed=self.seed,
            network=net_name, resize=self.resize, sampling="permutation-uniform-start-v1")
        cached = load_stats(ckey) if ckey else None
        if cached is not None:
            feats = cached.features
        else:
            batches = self.real_batches(proto)
            feats = self._extract(kind, batches, proto.num_real, f"real {proto.frames}f")
            if ckey:
                stats = FeatureStats(keep_features=True)
                stats.update(feats.reshape(len(feats), -1))
                save_stats(ckey, stats)
        feats = feats.reshape(proto.num_real, *self._feature_shape(kind, proto))
        self._real_memo[key] = feats
        return feats

    def _feature_shape(self, kind, proto):
        return (proto.frames_used, -1) if kind.startswith("frames") else (-1,)

    # -- fake side ------------------------------------------------------------------------------
    def fake_batches(self, proto: Protocol, run: int):
        fake, seed = self.fake, self.seed + run
        if isinstance(fake, (str, Path)):
            return sources.iter_folder(fake, proto.num_fake, proto.frames, proto.subsample, self.batch_size, seed)
        return sources.iter_sampler(fake, proto.num_fake, proto.frames, proto.subsample, self.batch_size, seed)

    def fake_features(self, proto: Protocol, kind: str, run: int) -> np.ndarray:
        key = (kind, proto.frames, proto.subsample, proto.num_fake, run)
        if key not in self._fake_memo:
            self._fake_memo[key] = self._extract(kind, self.fake_batches(proto, run), proto.num_fake,
                                                 f"fake {proto.frames}f run {run}")
        return self._fake_memo[key]

    def fake_resolution(self) -> int:
        if self.resolution is None:
            fake = self.fake
            if isinstance(fake, (str, Path)):
                files = sources.list_video_files(fake)
                if not files:
                    raise DatasetError(f"no video files in {fake}")
                self.resolution = int(sources.read_video_frames(files[0], 1).shape[1])
            else:
                self.resolution = getattr(fake, "resolution", None) or int(fake.sample(1, frames=1, seed=0, batch_size=1).shape[-1])
        return int(self.resolution)

    # -- one metric, one run --------------------------------------------------------------------
    def compute(self, proto: Protocol, run: int, is_splits: int) -> float:
        from vidsynth.metrics.acd import average_content_distance
        from vidsynth.metrics.fvd import frechet_distance
        from vidsynth.metrics.inception_score import inception_score
        from vidsynth.metrics.kvd import kernel_distance

        kind = self.net_kind(proto, self.acd_features)
        fake = self.fake_features(proto, kind, run)
        if proto.kind == "is":
            return inception_score(fake, splits=is_splits)[0]
        if proto.kind == "acd":
            return average_content_distance(fake)
        real = self.real_features(proto, kind)
        real, fake = real.reshape(-1, real.shape[-1]), fake.reshape(-1, fake.shape[-1])  # frames pooled for ffid/fkid
        if proto.kind in ("fvd", "ffid"):
            r, f = FeatureStats(), FeatureStats()
            r.update(real), f.update(fake)
            return frechet_distance(r.mean, r.cov, f.mean, f.cov)
        return kernel_distance(real, fake)  # kvd, fkid


def _kernel_mode(proto: Protocol) -> str:
    from vidsynth.metrics.kvd import MAX_FULL

    per_set = max(proto.num_real, proto.num_fake) * (proto.frames_used if proto.kind == "fkid" else 1)
    return "all samples" if per_set <= MAX_FULL else "mean over 100 random subsets of 1000 (seed 0)"


def evaluate(metrics, real=None, fake=None, device="cpu", num_runs: int = 1, num_real: int | None = None,
             num_fake: int | None = None, seed: int = 0, batch_size: int = 8, resolution: int | None = None,
             i3d: str | None = None, classifier: str | None = None, acd_features: str = "i3d",
             resize: str = "tf1_bilinear", use_cache: bool = True, progress: bool = True,
             is_splits: int = 10, num_workers: int = 0) -> list[dict]:
    """Compute ``metrics`` (names like ``"fvd2048_16f"``, see protocols.py) -> one result dict each.

    real: dataset spec (``builtin:NAME``, folder, zip) or a ClipDataset-like object
          (``num_videos``, ``clip(i, start, flip=False)``, optionally ``num_frames(i)``, ``fingerprint``).
    fake: a sampler (``.sample(n, frames=, seed=, batch_size=)`` -> float ``[n, 3, T, H, W]``), a run
          / exported-model folder (loaded with ``vidsynth.load``) or a folder of video files.
    resolution: resolution the real clips are read at (default: that of the generated videos).
    i3d: TorchScript I3D to use instead of the built-in one. classifier: TorchScript for IS.
    num_workers: DataLoader processes decoding real clips (a dataset spec only).
    """
    if isinstance(metrics, str):
        metrics = [m for m in metrics.split(",") if m.strip()]
    if fake is None:
        raise ConfigError("evaluate needs fake videos: a sampler, a run folder or a folder of videos")
    fake_desc = str(fake) if isinstance(fake, (str, Path)) else type(fake).__name__
    if isinstance(fake, (str, Path)) and Path(fake).expanduser().suffix == ".pt":   # a resume checkpoint
        import vidsynth

        fake = vidsynth.load(str(Path(fake).expanduser()), device=str(device))
    if isinstance(fake, (str, Path)):
        if not Path(fake).expanduser().is_dir():
            raise ConfigError(f"--fake {fake}: not a folder (expected a run folder or a folder of videos)")
        fake = Path(fake).expanduser()
        if is_run_folder(fake):
            import vidsynth

            fake = vidsynth.load(str(fake), device=str(device))
    if isinstance(real, (str, Path)) and not str(real).startswith("builtin:"):
        real = str(Path(real).expanduser())
    protos = [parse_protocol(m, num_real, num_fake) for m in metrics]
    if any(p.needs_real for p in protos) and real is None:
        raise ConfigError(f"{', '.join(p.name for p in protos if p.needs_real)} need real data (--real)")
    if num_runs < 1:
        raise ConfigError("num_runs must be >= 1")
    ev = _Evaluator(real, fake, device, batch_size, resolution, i3d, classifier, acd_features, resize,
                    use_cache, progress, seed, num_workers)
    results = []
    for proto in protos:
        start = time.time()
        values = [ev.compute(proto, run, is_splits) for run in range(num_runs)]
        kind = ev.net_kind(proto, acd_features)
        results.append({
            "metric": proto.name,
            "value": float(np.mean(values)),
            "std": float(np.std(values)),
            "values": [float(v) for v in values],
            "num_runs": num_runs,
            "num_real": proto.num_real,
            "num_fake": proto.num_fake,
            "feature_network": ev.net(kind).name,
            "protocol": {
                "frames": proto.frames, "subsample": proto.subsample, "frames_used": proto.frames_used,
                "resolution": ev.resolution,  # real clips were read at this size (None: not needed)
                "resize": f"{resize} to 224" if kind.startswith(("i3d", "frames_i3d")) else "none",
                "range": "[-1, 1]", "real_sampling": f"seeded permutation of videos, uniform start, seed {seed}",
                "fake_seeds": [seed + r for r in range(num_runs)],
                **({"estimator": "unbiased MMD^2, poly kernel (x.y/d+1)^3, " + _kernel_mode(proto)} if proto.kind in ("kvd", "fkid") else {}),
                **({"covariance": "float64, ddof=1; scipy.linalg.sqrtm real part"} if proto.kind in ("fvd", "ffid") else {}),
                **({"splits": is_splits} if proto.kind == "is" else {}),
            },
            "real": None if real is None else (str(real) if isinstance(real, (str, Path)) else repr(real)[:300]),
            "fake": fake_desc,
            "time_s": round(time.time() - start, 2),
            "timestamp": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        })
    return results
