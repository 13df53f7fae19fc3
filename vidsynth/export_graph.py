"""Samplers as standalone graphs: TorchScript (``model.pt``) or ONNX (``model.onnx``) for C++, mobile, runtimes.

A graph is deterministic: it takes the random inputs that ``sampler.sample(n, frames, seed)`` draws in
Python and returns the same videos ``[n, 3, T, H, W]`` in [-1, 1]. Frames ``T`` (and, for ONNX, ``n``) are
fixed at export (the batch too: StyleGAN2's modulated convolutions are grouped by sample, so a traced
graph holds one batch size); :func:`example_inputs` makes the inputs of ``sample(n, frames, seed)`` for
any seed.

- DIGAN: ``(z [n, z_dim], z_motion [n, motion_dim][, c [n, c_dim]])``; frame times ``i / (train_frames - 1)``
  are baked in.
- MoCoGAN-HD: ``(w1 [n, D], motion_noise [n, T-1, noise_dim], noise_0, noise_1 ...)``: the content code,
  the LSTM's noise, and (noise mode ``per_video``) the image generator's noise maps ``[n, 1, h, w]``.
- StyleGAN2 / BigGAN image generators: ``(latents [n, D])`` -> ``[n, 3, 1, R, R]``.

``graph.json`` beside the graph lists the inputs with their shapes.
"""
from __future__ import annotations

import json
from pathlib import Path

import torch
from torch import nn

from vidsynth.errors import ConfigError
from vidsynth.utils.files import atomic_write, atomic_write_text

FORMATS = ("torchscript", "onnx")


class DIGANGraph(nn.Module):
    def __init__(self, generator, frames: int, train_frames: int):
        super().__init__()
        from vidsynth.models.digan.generator import DIGANGenerator

        self.generator = generator
        self.register_buffer("times", DIGANGenerator.frame_times(frames, train_frames))   # [T]

    def forward(self, z, z_motion, c=None):
        return self.generator(z, z_motion, self.times, c).float().clamp(-1, 1)


class MoCoGANHDGraph(nn.Module):
    def __init__(self, generator, frames: int):
        super().__init__()
        self.generator, self.frames = generator, frames

    def forward(self, w1, motion_noise, *video_noise):
        latents = self.generator.motion(w1, self.frames, motion_noise)                   # [n, T, D]
        maps = list(video_noise) if video_noise else None
        return self.generator.synthesize(latents, None, maps).float().clamp(-1, 1)


class ImageGraph(nn.Module):
    def __init__(self, generator):
        super().__init__()
        self.generator = generator

    def forward(self, latents):
        return self.generator.synthesize(latents).float().clamp(-1, 1).unsqueeze(2)      # [n, 3, 1, R, R]


def example_inputs(sampler, n: int, frames: int, seed: int = 0) -> tuple[list[str], tuple[torch.Tensor, ...]]:
    """(input names, the random inputs ``sampler.sample(n, frames, seed)`` uses), on the sampler's device."""
    from vidsynth.models.digan.sampler import DIGANSampler
    from vidsynth.models.mocogan_hd.sampler import MoCoGANHDSampler
    from vidsynth.utils.seeding import seed_stream

    if isinstance(sampler, DIGANSampler):
        z, zm = sampler.latents(n, seed)
        c = sampler.labels(n, None, seed)
        return (["z", "z_motion", "c"], (z, zm, c)) if c is not None else (["z", "z_motion"], (z, zm))
    if isinstance(sampler, MoCoGANHDSampler):
        w1 = sampler.content_codes(n, seed)
        noise = sampler.motion_noise(n, frames, seed)
        maps = sampler.video_noise(n, seed) if sampler.generator.noise_mode == "per_video" else None
        maps = list(maps or [])
        return (["w1", "motion_noise"] + [f"noise_{i}" for i in range(len(maps))], (w1, noise, *maps))
    if frames != 1:
        raise ConfigError("an image generator has no time: export it with --frames 1")
    g = sampler.generator
    latents = torch.cat([g.sample_latents(1, generator=seed_stream(seed, i, device=sampler.device)) for i in range(n)])
    return ["latents"], (latents,)


def graph_module(sampler, frames: int) -> nn.Module:
    from vidsynth.models.digan.sampler import DIGANSampler
    from vidsynth.models.mocogan_hd.sampler import MoCoGANHDSampler

    if isinstance(sampler, DIGANSampler):
        return DIGANGraph(sampler.generator, frames, sampler.train_frames).eval()
    if isinstance(sampler, MoCoGANHDSampler):
        return MoCoGANHDGraph(sampler.generator, frames).eval()
    return ImageGraph(sampler.generator).eval()


def export_graph(sampler, out_dir: str | Path, fmt: str = "torchscript", n: int = 1, frames: int | None = None,
                 seed: int = 0) -> Path:
    """Write ``model.pt`` (TorchScript) or ``model.onnx`` + ``graph.json`` to ``out_dir``; returns the graph file.

    The graph is traced on CPU with the inputs of ``sample(n, frames, seed)``; it takes batches of ``n``.
    """
    if fmt not in FORMATS:
        raise ConfigError(f"--format {fmt}: choose one of {', '.join(FORMATS)} (or hub)")
    sampler.to("cpu")
    frames = frames or (1 if type(sampler).__name__ == "ImageSampler" else sampler.train_frames)
    names, inputs = example_inputs(sampler, n, frames, seed)
    module = graph_module(sampler, frames)
    out_dir = Path(out_dir)
    import warnings

    with torch.no_grad(), warnings.catch_warnings():
        # The tracer warns about every Python-level shape check; the graph is verified against sample() instead
        # (tests/test_export_graph.py), and shapes are fixed by design (module docstring).
        warnings.simplefilter("ignore", torch.jit.TracerWarning)
        expected = module(*inputs)
        if fmt == "torchscript":
            traced = torch.jit.trace(module, inputs, check_trace=False)
            path = atomic_write(out_dir / "model.pt", lambda tmp: traced.save(str(tmp)))
        else:
            try:
                import onnx  # noqa: F401  (torch.onnx needs both to export)
                import onnxscript  # noqa: F401
            except ImportError:
                raise ConfigError("--format onnx needs the onnx package: pip install 'vidsynth[onnx]'") from None
            # The dynamo exporter (needs onnxscript): the TorchScript-based one cannot export StyleGAN2's
            # blur, whose kernel shape follows the traced channel count. One file, no external weights.
            path = atomic_write(out_dir / "model.onnx", lambda tmp: torch.onnx.export(
                module, inputs, str(tmp), input_names=names, output_names=["video"], dynamo=True,
                external_data=False, verbose=False))
    info = {"format": fmt, "file": path.name, "frames": frames, "batch": n,
            "inputs": [{"name": k, "shape": list(v.shape), "dtype": str(v.dtype).replace("torch.", "")}
                       for k, v in zip(names, inputs)],
            "output": {"name": "video", "shape": list(expected.shape), "range": [-1, 1],
                       "layout": "[n, 3, T, H, W]"},
            "make_inputs": "vidsynth.export_graph.example_inputs(vidsynth.load(MODEL), n, frames, seed)"}
    atomic_write_text(out_dir / "graph.json", json.dumps(info, indent=2) + "\n")
    return path
