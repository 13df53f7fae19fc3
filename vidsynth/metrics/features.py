"""Feature networks: what each metric measures videos with. Every network has a ``name`` that is
recorded next to the number, so a result always says which network produced it.

All take video tensors ``[B, 3, T, H, W]`` float in [-1, 1] (any H, W; they resize as needed).
- :class:`I3DLogits` -> ``[B, 400]``: Kinetics-400 I3D logits averaged over time (FVD, KVD).
- :class:`I3DFrameFeatures` -> ``[B, T, 1024]``: per-frame features of the "static" I3D (kernels
  summed over time = the I3D watching a still video of the frame), pooled before the logits.
  Default for per-frame FID/KID and ACD: offline, ImageNet-then-Kinetics trained, and the same
  weights as FVD (no extra download; the usual Inception-v3 FID weights are not on the registry).
- :class:`MeanColorFrames` -> ``[B, T, 3]``: mean RGB of each frame (MoCoGAN's ACD on Shape Motion).
- :class:`VideoClassifier` -> ``[B, K]`` class probabilities from a user's TorchScript classifier
  (video Inception Score).
"""
from __future__ import annotations

from pathlib import Path

import torch

from vidsynth.metrics.resize import resize_video

I3D_INPUT = 224


# On CPU the I3D runs this many clips per thread at a time, whatever the batch: per clip that was
# fastest (1 thread, interleaved: 1.18 clips/s at 2 clips against 1.03 at 8, whose activations fall
# out of cache; 2 threads: 4 clips best). docs/metrics.md, "The I3D". A clip's logits do not
# depend on the other clips of its batch.
CPU_CLIPS_PER_THREAD = 2


class I3DLogits:
    """Video -> I3D logits ``[B, 400]`` after resizing frames to 224 (``resize`` rule, see resize.py)."""

    def __init__(self, device="cpu", path: str | Path | None = None, resize: str = "tf1_bilinear"):
        from vidsynth.metrics.i3d import load_i3d

        self.device, self.resize = torch.device(device), resize
        self.model = load_i3d(device=self.device, path=path)
        self.name = f"torchscript:{Path(path).name}" if path else "i3d_kinetics400_logits"

    def __call__(self, videos: torch.Tensor) -> torch.Tensor:
        chunk = CPU_CLIPS_PER_THREAD * torch.get_num_threads() if self.device.type == "cpu" else len(videos)
        out = []
        for part in videos.split(max(chunk, 1)):
            x = resize_video(part.to(self.device, torch.float32), I3D_INPUT, self.resize)
            out.append(self.model(x.contiguous(memory_format=torch.channels_last_3d)).float())
        return torch.cat(out)


class I3DFrameFeatures:
    """Video -> per-frame static-I3D features ``[B, T, 1024]`` (frames resized to 224)."""

    name = "i3d_kinetics400_static_pool1024"

    def __init__(self, device="cpu", resize: str = "tf1_bilinear"):
        from vidsynth.metrics.i3d import load_i3d

        self.device, self.resize = torch.device(device), resize
        self.model = load_i3d(device=self.device, static=True)

    def __call__(self, videos: torch.Tensor) -> torch.Tensor:
        x = resize_video(videos.to(self.device, torch.float32), I3D_INPUT, self.resize)
        return self.model.frame_features(x).float()


class MeanColorFrames:
    """Video -> mean colour of each frame ``[B, T, 3]`` (in [-1, 1])."""

    name = "mean_color"

    def __call__(self, videos: torch.Tensor) -> torch.Tensor:
        return videos.float().mean(dim=(3, 4)).transpose(1, 2)


class VideoClassifier:
    """A user's TorchScript video classifier: ``[B, 3, T, H, W]`` in [-1, 1] -> logits ``[B, K]``.

    Videos are passed at their own resolution and frame count; the module resizes/normalises as
    it needs. Its logits are turned into probabilities with a softmax.
    """

    def __init__(self, path: str | Path, device="cpu"):
        from vidsynth.errors import CheckpointError

        path = Path(path)
        if not path.is_file():
            raise CheckpointError(f"classifier not found: {path}")
        try:
            from vidsynth.metrics.i3d import jit_load

            self.model = jit_load(path, device).eval()
        except Exception as e:
            raise CheckpointError(f"cannot load TorchScript classifier {path}: {e}") from e
        self.device, self.name = torch.device(device), f"torchscript:{path.name}"

    def __call__(self, videos: torch.Tensor) -> torch.Tensor:
        return torch.softmax(self.model(videos.to(self.device, torch.float32)).double(), dim=1)

