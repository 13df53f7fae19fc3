"""Small stand-ins for the parts of vidsynth that metrics consume: videos, a sampler, a dataset."""
import numpy as np
import torch


def moving_square_videos(n: int, frames: int = 16, size: int = 32, seed: int = 0) -> torch.Tensor:
    """``n`` videos ``[n, 3, T, size, size]`` in [-1, 1]: a big coloured square moving fast (2-4 px per
    frame, wrapping) over a gradient, so that motion is salient to the I3D."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:size, 0:size] / size
    out = np.empty((n, 3, frames, size, size), np.float32)
    for i in range(n):
        bg = rng.uniform(-0.8, 0.2, 3)[:, None, None] + 0.5 * np.stack([xx, yy, xx * yy])
        colour, (x0, y0), (vx, vy) = rng.uniform(0.3, 1, 3), rng.uniform(0, size * 0.6, 2), rng.uniform(2, 4, 2) * rng.choice([-1, 1], 2)
        for t in range(frames):
            frame = bg.copy()
            x, y = int(x0 + vx * t) % (size - 12), int(y0 + vy * t) % (size - 12)
            frame[:, y:y + 12, x:x + 12] = colour[:, None, None]
            out[i, :, t] = frame
    return torch.from_numpy(np.clip(out, -1, 1))


class FakeSampler:
    """Mimics ``vidsynth.load(run)``: ``sample(n, frames, seed, batch_size)`` -> float [n, 3, T, H, W]."""

    resolution = 32

    def __init__(self):
        self.calls = []

    def sample(self, n, frames=16, seed=0, batch_size=8):
        self.calls.append((n, frames, seed))
        return moving_square_videos(n, frames, self.resolution, seed=10_000 + seed)


class FakeClipDataset:
    """Mimics ``vidsynth.data.ClipDataset``: uint8 clips [3, T, R, R] cut from longer videos."""

    def __init__(self, num_videos=5, length=24, frames=16, resolution=32, fingerprint="fake-ds-v1"):
        self.num_videos, self.frames, self.fingerprint = num_videos, frames, fingerprint
        self.videos = ((moving_square_videos(num_videos, length, resolution, seed=1) + 1) * 127.5).round().to(torch.uint8)
        self.reads = 0

    def num_frames(self, i):
        return self.videos.shape[2]

    def clip(self, video_index, start, flip=False):
        self.reads += 1
        return self.videos[video_index, :, start:start + self.frames].clone(), 0


class TinyI3D(torch.nn.Module):
    """Stand-in for a user's TorchScript I3D: [B, 3, T, 224, 224] -> [B, 400]."""

    def forward(self, x):
        assert x.shape[-1] == 224
        return x.mean(dim=(2, 3, 4)).repeat(1, 134)[:, :400] * torch.arange(400).float()


def tiny_i3d(folder) -> str:
    """A TorchScript stand-in for the I3D (fast): the path to pass as ``i3d=``."""
    import warnings

    path = folder / "my_i3d.pt"
    if not path.exists():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            torch.jit.script(TinyI3D()).save(str(path))
    return str(path)
