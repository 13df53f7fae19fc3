"""The Python half of ``scripts/gpu_check.sh``: what a person with a CUDA machine runs once to check the GPU path.

Checks, each a record in one JSON summary (printed last; exit code 1 if any check failed):

1. ``parity``: every network (DIGAN G, DIGAN D = image D + motion D, StyleGAN2 G and D, MoCoGAN-HD
   motion G, video D, in-domain pair image D and cross-domain contrastive image D, I3D) built on the CPU
   from one seed, copied to the device, fed the same inputs: ``max|out_dev - out_cpu| / max(1, max|out_cpu|)``
   must be <= ``PARITY_RTOL``. TF32 is switched off for this check (TF32 keeps 10 mantissa bits: 1e-3
   relative per product, so it would be a precision test, not a parity test).
2. ``amp``: ``steps`` training steps of DIGAN, StyleGAN2 and MoCoGAN-HD with bf16 and fp16 (CPU: bf16,
   and fp16 for DIGAN only) through the training loop on ``builtin:shapes``, without a non-finite loss or
   weight. DIGAN trains as the official code (StyleGAN2-ADA's scheme: G fp32, the Ds' top
   ``d_num_fp16_res`` resolutions in the reduced format with activations clamped at ``d_conv_clamp``, no
   loss scaling); the other two under whole-model autocast with a GradScaler for fp16. ``d_blocks``
   checks the scheme itself on the device: DIGAN's D (the run's size) in each format, which layers ran in
   which dtype (forward hooks: the top blocks reduced, the rest fp32) and its logits' distance from fp32
   (``max|d| / max(1, max|fp32|) <= MIXED_RTOL``).
3. ``nccl``: ``torchrun --nproc_per_node 2`` DIGAN training with NCCL (needs 2 GPUs), ranks identical.
4. ``bench``: ``vidsynth bench --device DEVICE --json`` (generation, training, peak, i3d).

``--dry-run`` runs 1 and 2 on the CPU at test size (the test suite does, so this file cannot rot) and
builds, without running, the commands of 3 and 4.

Tolerance of the parity check: a float32 dot product of K terms moves by at most K * 6e-8 of its
absolute sum when the summation order changes; the widest reductions here are 512 x 3 x 3 = 4608 terms
(StyleGAN2 / DIGAN D convs) and I3D's 3-D convs (832 x 3 x 3 x 3 = 22,464), and cuDNN may pick
Winograd/FFT algorithms whose transforms add ~1e-5 relative. Typical errors are sqrt(K) u (~1e-5), and
~20 layers compound them to a few 1e-5 of the output scale; ``PARITY_RTOL = 1e-3`` is 10-30x above that
and far below what a wrong kernel, layout or dtype does (>= 1e-2).
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch

PARITY_RTOL = 1e-3
# DIGAN's D with its top blocks in fp16 / bf16 against fp32, same weights and inputs, random init: bf16 keeps 8
# bits (<= 0.4% relative per rounding), and ~10 rounded layers compound that to ~1-2% of the logits'
# scale (measured on CPU at test size: fp16 0.07%, bf16 0.47%); 5% is room above that, and far below a
# block left unclamped in overflow or a wrong cast (inf / NaN, or O(1) off).
MIXED_RTOL = 5e-2


def _networks(dry_run: bool):
    """``name -> (module, inputs)`` built on the CPU from seed 0: the paper configurations (DIGAN paper128,
    StyleGAN2 paper256, MoCoGAN-HD paper), or the test ones on a dry run."""
    from vidsynth.config import method_config
    from vidsynth.metrics.i3d import InceptionI3d
    from vidsynth.models.digan import DIGANDiscriminator, DIGANGenerator
    from vidsynth.models.mocogan_hd import (ContrastiveImageDiscriminator, MotionGenerator, PairImageDiscriminator,
                                            VideoDiscriminator)
    from vidsynth.models.resnet_discriminator import ResNetDiscriminator
    from vidsynth.models.stylegan2 import StyleGAN2Generator
    from vidsynth.training.digan import generator_kwargs

    torch.manual_seed(0)
    dg = method_config("digan", "test" if dry_run else "paper128")           # the paper sizes on a real check
    sg = method_config("stylegan2", "test" if dry_run else "paper256")
    mh = method_config("mocogan-hd", "test" if dry_run else "paper")
    r, b = dg.resolution, 2
    nets = {}

    _nested = lambda m, *x: _flatten(m(*x))     # networks that return lists / tuples of tensors

    class Call(torch.nn.Module):        # a network with a fixed way of calling it, so every entry is module(*inputs)
        def __init__(self, module, fn):
            super().__init__()
            self.module, self.fn = module, fn

        def forward(self, *inputs):
            return self.fn(self.module, *inputs)

    G = DIGANGenerator(**generator_kwargs(dg))
    nets["digan_G"] = (G, (torch.randn(b, dg.z_dim), torch.randn(b, dg.motion_dim),              # 4 frames
                           DIGANGenerator.frame_times(4, dg.frames)))
    D = DIGANDiscriminator(r, 0, dg.d_channel_base, dg.d_channel_max, 1)
    nets["digan_D"] = (Call(D, _nested), (torch.randn(b, 7, r, r),))           # (motion, image) logits
    SG = StyleGAN2Generator(resolution=sg.resolution, style_dim=sg.z_dim, n_mlp=sg.n_mlp,
                            channel_multiplier=sg.channel_multiplier, channel_max=sg.g_channel_max)
    nets["stylegan2_G"] = (Call(SG, lambda m, z: m(z, noise_mode="const")), (torch.randn(b, sg.z_dim),))
    nets["stylegan2_D"] = (ResNetDiscriminator(sg.resolution, 3, sg.d_channel_base, sg.d_channel_max, 1),
                           (torch.randn(b, 3, sg.resolution, sg.resolution),))
    d = sg.z_dim
    M = MotionGenerator(latent_dim=d, hidden_dim=mh.hidden_dim, n_pca=min(mh.n_pca, d), noise_dim=d,
                        motion_scale=mh.motion_scale, mi_hidden=mh.mi_hidden)
    M.set_pca(torch.linalg.qr(torch.randn(d, d))[0][:, :min(mh.n_pca, d)].T.contiguous(),
              torch.rand(min(mh.n_pca, d)) + 0.5)
    t = mh.frames
    nets["mocogan_hd_motion_G"] = (Call(M, lambda m, w, n: m(w, t, noise=n).latents),
                                   (torch.randn(b, d), torch.randn(b, t - 1, d)))
    mr = mh.resolution
    nets["mocogan_hd_video_D"] = (Call(VideoDiscriminator("in_domain", t, mr, mh.d_num_scales, mh.d_base_channels,
                                                          mh.d_layers), _nested),
                                  (torch.randn(b, 3, t, mr, mr),))
    nets["mocogan_hd_image_D"] = (Call(PairImageDiscriminator(mr, mh.d_num_scales, mh.d_base_channels, mh.d_layers),
                                       _nested), (torch.randn(b, 3, mr, mr), torch.randn(b, 3, mr, mr)))
    C = ContrastiveImageDiscriminator(mr, mh.contrastive_channels, mh.proj_dim, mh.queue_size, mh.moco_momentum,
                                      mh.temperature)
    nets["mocogan_hd_contrastive_D"] = (Call(C.discriminator, _nested), (torch.randn(b, 3, mr, mr),))
    frames = 10 if dry_run else 16           # I3D takes 224 x 224 frames only, at least 9
    nets["i3d"] = (InceptionI3d(), (torch.rand(1, 3, frames, 224, 224) * 2 - 1,))
    return nets


def _flat_outputs(module, *inputs) -> torch.Tensor:
    """``module(*inputs)`` as one flat float tensor."""
    return _flatten(module(*inputs))


def _flatten(out) -> torch.Tensor:
    """Any nest of tensors a network returns -> one flat float tensor."""
    flat = []

    def walk(x):
        if isinstance(x, torch.Tensor):
            flat.append(x.float().flatten())
        elif isinstance(x, (list, tuple)):
            for v in x:
                walk(v)
        elif isinstance(x, dict):
            for v in x.values():
                walk(v)
    walk(out)
    return torch.cat(flat)


def check_parity(device: str, dry_run: bool) -> dict:
    """Every network on the CPU and on ``device`` with the same weights and inputs; TF32 off."""
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    results = {}
    for name, (module, inputs) in _networks(dry_run).items():
        module = module.eval()
        with torch.no_grad():
            ref = _flat_outputs(module, *inputs)
            module.to(device)
            got = _flat_outputs(module, *[x.to(device) for x in inputs]).cpu()
        err = ((got - ref).abs().max() / max(1.0, ref.abs().max().item())).item()
        results[name] = {"rel_max_err": err, "ok": bool(err <= PARITY_RTOL and torch.isfinite(got).all())}
    return {"tolerance": PARITY_RTOL, "networks": results, "ok": all(r["ok"] for r in results.values())}


def check_amp(device: str, steps: int, dry_run: bool, workdir: Path) -> dict:
    """``steps`` steps of each method per precision through the training loop: finite losses and weights."""
    from vidsynth.config import LoopConfig, method_config
    from vidsynth.errors import VidsynthError
    from vidsynth.training.loop import train

    cpu = torch.device(device).type == "cpu"
    precisions = ["bf16", "fp16"]
    preset = "test" if dry_run else "tiny"
    results = {}
    for precision in precisions:
        image_run = None
        # CPU autocast fp16 of whole models is slow and not what a CPU run uses; DIGAN's blockwise fp16 runs
        for method in ("digan",) if cpu and precision == "fp16" else ("digan", "stylegan2", "mocogan-hd"):
            name = f"{method}_{precision}"
            over = {"precision": precision}
            if method == "mocogan-hd":
                over["image_generator"] = str(image_run)
            cfg = method_config(method, preset, over)
            loop = LoopConfig(data="builtin:shapes", kimg=steps * cfg.batch / 1000, seed=0, snapshot_kimg=0,
                              num_workers=0, device=device, sample_videos=2, sample_frames=4, log="none")
            start = time.time()
            try:
                with contextlib.redirect_stdout(sys.stderr):      # stdout carries the JSON summary only
                    run = train(cfg, loop, outdir=workdir / "amp", run_name=name, progress=False)
                results[name] = {"ok": True, "seconds": round(time.time() - start, 1), "steps": steps}
                if method == "stylegan2":
                    image_run = run
            except VidsynthError as e:        # NonFiniteError names the loss and the step
                results[name] = {"ok": False, "error": str(e)[:300]}
                if method == "stylegan2":
                    break
    blocks = check_mixed_blocks(device, preset)
    return {"precisions": precisions, "runs": results, "d_blocks": blocks,
            "ok": bool(results) and all(r["ok"] for r in results.values()) and blocks["ok"]}


def check_mixed_blocks(device: str, preset: str) -> dict:
    """DIGAN's D at ``preset``'s size on ``device`` with the config's ``d_num_fp16_res`` / ``d_conv_clamp``:
    for fp16 and bf16, the dtype of every conv / dense layer's output (hooks) and the logits against fp32."""
    from vidsynth.config import method_config
    from vidsynth.models.digan import DIGANDiscriminator
    from vidsynth.nn.precision import DTYPES, set_reduced_precision

    cfg = method_config("digan", preset)
    torch.manual_seed(0)
    D = DIGANDiscriminator(cfg.resolution, 0, cfg.d_channel_base, cfg.d_channel_max, 2,
                           num_fp16_res=cfg.d_num_fp16_res, conv_clamp=cfg.d_conv_clamp or None).to(device).eval()
    formats = {}
    for name, m in D.image_d.named_modules():
        if type(m).__name__ in ("EqualConv2d", "EqualLinear"):
            m.register_forward_hook(lambda m, i, o, name=name: formats.__setitem__(name, o.dtype))
    top = ["fromrgb"] + [f"blocks.{i}." for i, r in enumerate(D.image_d.reduced_blocks) if r]
    x = torch.randn(4, 7, cfg.resolution, cfg.resolution, device=device)
    with torch.no_grad():
        ref = torch.cat(D(x)).float()
        out = {}
        for precision in ("fp16", "bf16"):
            set_reduced_precision(D, precision)
            formats.clear()
            got = torch.cat(D(x)).float()
            reduced = sorted(n for n, d in formats.items() if d == DTYPES[precision])
            expected = sorted(n for n in formats if any(n.startswith(t) for t in top))
            err = (got - ref).abs().max().item() / max(1.0, ref.abs().max().item())
            out[precision] = {"reduced_layers": len(reduced), "fp32_layers": len(formats) - len(reduced),
                              "rel_max_err": err, "ok": bool(reduced == expected and err <= MIXED_RTOL
                                                             and torch.isfinite(got).all())}
        set_reduced_precision(D, "fp32")
    return {"num_fp16_res": cfg.d_num_fp16_res, "conv_clamp": cfg.d_conv_clamp, "tolerance": MIXED_RTOL, **out,
            "ok": all(r["ok"] for r in out.values())}


def nccl_command(outdir: Path) -> list[str]:
    return [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "-m", "vidsynth", "train",
            "--method", "digan", "--preset", "tiny", "--data", "builtin:shapes", "--kimg", "0.32", "--workers", "0",
            "--device", "cuda", "--precision", "bf16", "--quiet", "--snapshot-kimg", "0.16", "--outdir", str(outdir)]


def check_nccl(workdir: Path, dry_run: bool) -> dict:
    """2 NCCL processes (``torchrun``): the run finishes and both ranks hold identical state at every snapshot."""
    cmd = nccl_command(workdir / "nccl")
    if dry_run or torch.cuda.device_count() < 2:
        why = "dry run" if dry_run else f"needs 2 CUDA devices, found {torch.cuda.device_count()}"
        return {"ok": dry_run, "skipped": why, "command": " ".join(cmd)}
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        return {"ok": False, "command": " ".join(cmd), "error": proc.stderr[-2000:]}
    run = next(p for p in (workdir / "nccl").iterdir() if p.is_dir())
    snaps = [json.loads(line) for line in (run / "snapshots.jsonl").read_text().splitlines()]
    same = all(s["rank_checksums"][0] == s["rank_checksums"][1] for s in snaps)
    world = json.loads((run / "config.json").read_text())["world_size"]
    return {"ok": same and world == 2, "world_size": world, "snapshots": len(snaps), "ranks_identical": same}


def bench_command(device: str, out: Path) -> list[str]:
    return [sys.executable, "-m", "vidsynth", "bench", "--device", device, "--json", str(out)]


def check_bench(device: str, workdir: Path, dry_run: bool) -> dict:
    """``vidsynth bench`` on the device; its JSON goes into the summary."""
    out = workdir / "bench.json"
    cmd = bench_command(device, out)
    if dry_run:
        return {"ok": True, "skipped": "dry run", "command": " ".join(cmd)}
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        return {"ok": False, "command": " ".join(cmd), "error": proc.stderr[-2000:]}
    return {"ok": True, "results": json.loads(out.read_text())}


def run_checks(device: str = "cuda", steps: int = 50, dry_run: bool = False, workdir: Path | None = None) -> dict:
    """All four checks; the summary dict (``ok`` is the AND of every check's)."""
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(workdir or tmp)
        summary = {"device": device, "torch": torch.__version__, "cuda": torch.version.cuda,
                   "gpus": [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())],
                   "dry_run": dry_run}
        summary["parity"] = check_parity(device, dry_run)
        summary["amp"] = check_amp(device, steps, dry_run, work)
        summary["nccl"] = check_nccl(work, dry_run)
        summary["bench"] = check_bench(device, work, dry_run)
    summary["ok"] = all(summary[k]["ok"] for k in ("parity", "amp", "nccl", "bench"))
    return summary


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--device", default="cuda", help="the device checked against the CPU (default cuda)")
    parser.add_argument("--steps", type=int, default=50, help="AMP training steps per method and precision")
    parser.add_argument("--dry-run", action="store_true", help="CPU, test-size networks, 2 steps, no torchrun/bench")
    parser.add_argument("--json", default=None, help="also write the summary here")
    args = parser.parse_args(argv)
    if args.dry_run:
        args.device, args.steps = "cpu", min(args.steps, 2)
    elif torch.device(args.device).type == "cuda" and not torch.cuda.is_available():
        print(f"error: --device {args.device} but CUDA is not available (torch {torch.__version__}); "
              "run on a CUDA machine, or --dry-run on this one", file=sys.stderr)
        return 2
    summary = run_checks(args.device, args.steps, args.dry_run)
    text = json.dumps(summary, indent=2)
    if args.json:
        from vidsynth.utils.files import atomic_write_text

        atomic_write_text(args.json, text + "\n")
    print(text)
    return 0 if summary["ok"] else 1


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
