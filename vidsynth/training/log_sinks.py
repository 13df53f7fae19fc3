"""Where training logs go: ``stats.jsonl`` always, plus TensorBoard and/or Weights & Biases.

Chosen with ``--log`` (loop field ``log``), a comma-separated list:

- ``auto`` (default): TensorBoard when it is installed, else nothing beyond the jsonl files;
- ``tensorboard``: scalars, the sample grid as an image (``samples/frames``) and as an animated gif
  (``samples/video``, shown in TensorBoard's image tab; written directly, no moviepy needed);
- ``wandb``: the same to a W&B run in ``<run>/wandb/`` (extra ``pip install vidsynth[wandb]``). It is
  **offline** unless you are logged in (``wandb login`` or ``WANDB_API_KEY``) or set ``WANDB_MODE``
  yourself: nothing leaves the machine by default; ``wandb sync <run>/wandb/offline-run-*`` uploads later;
- ``none``: only the jsonl files.

Every sink takes the step as ``nimg`` (real videos shown so far), which only grows, also across resumes.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from vidsynth.errors import ConfigError

NAMES = ("auto", "none", "tensorboard", "wandb")


def parse_log(spec: str) -> list[str]:
    """``"tensorboard,wandb"`` -> ``["tensorboard", "wandb"]``; ConfigError for an unknown name."""
    names = [n.strip().lower() for n in str(spec).split(",") if n.strip()] or ["auto"]
    unknown = [n for n in names if n not in NAMES]
    if unknown:
        raise ConfigError(f"--log {spec}: unknown sink {', '.join(unknown)}; use a comma-separated list of "
                          f"{', '.join(NAMES)} (stats.jsonl is always written)")
    if "none" in names and len(names) > 1:
        raise ConfigError(f"--log {spec}: 'none' cannot be combined with other sinks")
    return names


def _tensorboard_thread_errors_as_warnings() -> None:
    """TensorBoard writes events from its own thread (``_AsyncWriterThread``); an OSError there (a full
    disk) would print a thread traceback. Turn it into one warning line: TensorBoard logging stops, training
    continues and meets the same disk error where it can say what to do."""
    import threading

    previous = threading.excepthook
    if getattr(previous, "vidsynth_tensorboard", False):
        return

    def hook(args):
        if type(args.thread).__name__ == "_AsyncWriterThread" and isinstance(args.exc_value, OSError):
            import warnings

            warnings.warn(f"TensorBoard's event writer failed ({args.exc_value}); TensorBoard logging stopped, "
                          "training continues")
            return
        previous(args)

    hook.vidsynth_tensorboard = True
    threading.excepthook = hook


class TensorBoardSink:
    """``torch.utils.tensorboard.SummaryWriter`` in ``<run>/tensorboard``."""

    def __init__(self, folder: Path):
        from torch.utils.tensorboard import SummaryWriter

        _tensorboard_thread_errors_as_warnings()
        self.writer = SummaryWriter(str(folder))

    def scalars(self, values: dict, nimg: int) -> None:
        for k, v in values.items():
            if isinstance(v, (int, float)) and not isinstance(v, bool):
                self.writer.add_scalar(k, v, nimg)
        self.writer.flush()

    def samples(self, strip: np.ndarray, gif: Path, nimg: int) -> None:
        """``strip``: uint8 ``[H, W, 3]`` frames of the grid side by side; ``gif``: the animated grid."""
        from tensorboard.compat.proto.summary_pb2 import Summary

        self.writer.add_image("samples/frames", strip, nimg, dataformats="HWC")
        # What SummaryWriter.add_video writes, minus its moviepy dependency: an image summary whose
        # encoded bytes are an animated gif (TensorBoard plays it in the images tab).
        from PIL import Image

        with Image.open(gif) as im:
            width, height = im.size
        image = Summary.Image(height=height, width=width, colorspace=3, encoded_image_string=Path(gif).read_bytes())
        self.writer._get_file_writer().add_summary(Summary(value=[Summary.Value(tag="samples/video", image=image)]),
                                                   nimg)
        self.writer.flush()

    def close(self) -> None:
        self.writer.close()


def wandb_mode() -> str:
    """``WANDB_MODE`` if set; else ``online`` only for a logged-in user (API key in the env or ~/.netrc)."""
    if os.environ.get("WANDB_MODE"):
        return os.environ["WANDB_MODE"]
    if os.environ.get("WANDB_API_KEY"):
        return "online"
    netrc = Path(os.environ.get("NETRC", Path.home() / ".netrc"))
    try:
        logged_in = "api.wandb.ai" in netrc.read_text(errors="replace")
    except OSError:
        logged_in = False
    return "online" if logged_in else "offline"


def wandb_run_id(run_dir: Path) -> str:
    """``<run folder name>-<8 hex digits of its absolute path>``: a resumed run continues its W&B run, and
    two machines' ``00000-digan-shapes`` stay two W&B runs."""
    import hashlib

    digest = hashlib.sha1(str(Path(run_dir).resolve()).encode()).hexdigest()[:8]
    return f"{Path(run_dir).name}-{digest}"


class WandbSink:
    """A W&B run in ``<run>/wandb`` (offline unless logged in, see :func:`wandb_mode`)."""

    def __init__(self, run_dir: Path, config: dict, resume: bool = False):
        try:
            import wandb
        except ImportError:
            raise ConfigError("--log wandb needs the wandb package: pip install 'vidsynth[wandb]' "
                              "(or drop wandb from --log)") from None
        self.wandb = wandb
        self.mode = wandb_mode()
        self.run = wandb.init(project=os.environ.get("WANDB_PROJECT", "vidsynth"), name=run_dir.name,
                              id=wandb_run_id(run_dir), dir=str(run_dir), config=config, mode=self.mode,
                              resume="allow" if resume else None)

    def scalars(self, values: dict, nimg: int) -> None:
        self.run.log({k: v for k, v in values.items() if isinstance(v, (int, float)) and not isinstance(v, bool)},
                     step=nimg)

    def samples(self, strip: np.ndarray, gif: Path, nimg: int) -> None:
        self.run.log({"samples/frames": self.wandb.Image(strip),
                      "samples/video": self.wandb.Video(str(gif), format="gif")}, step=nimg)

    def close(self) -> None:
        self.run.finish()


class LogSinks:
    """Fan-out to the chosen sinks; the loop calls ``scalars``, ``samples`` and ``close``.

    Logging is a convenience: a sink that fails (a full disk under tensorboard/, a W&B hiccup) is reported
    with a warning and the training goes on; stats.jsonl, samples and checkpoints are written regardless.
    """

    def __init__(self, sinks: list):
        self.sinks = sinks

    def _each(self, method: str, *args) -> None:
        import warnings

        for s in self.sinks:
            try:
                getattr(s, method)(*args)
            except Exception as e:  # noqa: BLE001
                warnings.warn(f"{type(s).__name__}.{method} failed ({type(e).__name__}: {e}); training continues")

    def scalars(self, values: dict, nimg: int) -> None:
        self._each("scalars", values, nimg)

    def samples(self, strip: np.ndarray, gif: Path, nimg: int) -> None:
        self._each("samples", strip, gif, nimg)

    def close(self) -> None:
        self._each("close")


def open_sinks(spec: str, run_dir: Path, config: dict, resume: bool = False) -> LogSinks:
    """The sinks ``spec`` names for ``run_dir``; an explicitly named sink that cannot start is a ConfigError."""
    sinks = []
    for name in parse_log(spec):
        if name in ("tensorboard", "auto"):
            try:
                sinks.append(TensorBoardSink(Path(run_dir) / "tensorboard"))
            except ImportError:
                if name == "tensorboard":
                    raise ConfigError("--log tensorboard needs the tensorboard package: pip install "
                                      "'vidsynth[tensorboard]' (or drop it from --log)") from None
        elif name == "wandb":
            sinks.append(WandbSink(Path(run_dir), config, resume))
    return LogSinks(sinks)
