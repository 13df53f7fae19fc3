"""Write tests/fixtures/official_digan_d_mixed.npz: the official DIGAN discriminator in its own mixed
precision (StyleGAN2-ADA's fp16 top blocks and activation clamping), run on the CPU.

    python scripts/make_mixed_precision_fixture.py --digan /path/to/sihyun-yu/digan \
        --pylib /path/with/omegaconf+einops [--out tests/fixtures]

The official ``OurDiscriminator`` (``src/training/networks.py``) at 32 px with ``num_fp16_res = 2``
(blocks 32 and 16 in float16, block 8 and the epilogue in float32: the official rule
``res >= max(2^(log2 R + 1 - num_fp16_res), 8)``) and ``conv_clamp = 256`` as ``src/train.py`` sets it.
The official blocks pick float16 whatever the device (``DiscriminatorBlock.forward``: no device check),
and the CPU build of torch runs float16 convolutions, so this is the official arithmetic, unpatched.
Weights are seeded and perturbed, the clamped convs' weights and the inputs scaled up (``WEIGHT_SCALE``,
``INPUT_SCALE``) so that the clamp bites
in every clamped layer, fp16 and fp32 ones alike; the same weights are also run with ``num_fp16_res = 0``
(all fp32, clamped) and with ``conv_clamp = None`` (fp32, unclamped), so a test can tell the clamp and the
format apart. Arrays only (``d/<official key>``, inputs, outputs, the per-layer share of clamped values),
written atomically; the official code is never imported by vidsynth.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent / "official_fixtures"))
from official_code import commit_of, official_code, perturb as _perturb, require_checkout, save_npz  # noqa: E402

RESOLUTION, CHANNEL_BASE, CHANNEL_MAX, MBSTD, NUM_FP16_RES, CONV_CLAMP = 32, 256, 32, 2, 2, 256
INPUT_SCALE = 30.0       # pixels ~N(0, 30^2) ...
WEIGHT_SCALE = 3.0       # ... and the clamped convs' weights x3: 2-36% of each clamped layer's outputs at the clamp


def _clamped_share(D, x) -> dict[str, float]:
    """Share of each clamped layer's outputs that sit at the clamp (|y| == clamp * gain)."""
    import training.networks as nets

    shares, hooks = {}, []
    for name, m in D.named_modules():
        if isinstance(m, nets.Conv2dLayer) and m.conv_clamp is not None:
            def hook(mod, inputs, kwargs, out, name=name):
                limit = mod.conv_clamp * kwargs.get("gain", 1)
                shares[name] = (out.float().abs() >= limit * (1 - 1e-3)).float().mean().item()
            hooks.append(m.register_forward_hook(hook, with_kwargs=True))
    with torch.no_grad():
        D(x, None)
    for h in hooks:
        h.remove()
    return shares


def make(root: Path, out: Path) -> None:
    require_checkout(root, "src/training/networks.py", "sihyun-yu/digan")
    with official_code(root / "src", packages=("training", "torch_utils", "dnnlib")):
        from training.networks import ImageDiscriminator

        def build(num_fp16_res, conv_clamp, channels):
            torch.manual_seed(0)
            D = ImageDiscriminator(c_dim=0, img_resolution=RESOLUTION, img_channels=channels,
                                   channel_base=CHANNEL_BASE, channel_max=CHANNEL_MAX, num_fp16_res=num_fp16_res,
                                   conv_clamp=conv_clamp, epilogue_kwargs={"mbstd_group_size": MBSTD}).eval()
            _perturb(D, 2 + channels)
            with torch.no_grad():
                for n, p in D.named_parameters():
                    if n.endswith("weight") and ("conv" in n or "fromrgb" in n):      # not skip, fc, out
                        p.mul_(WEIGHT_SCALE)
            return D

        gen = torch.Generator().manual_seed(3)
        arrays = {"commit": np.array(commit_of(root)), "input_scale": np.array(INPUT_SCALE)}
        for name, channels in (("motion", 7), ("image", 3)):       # OurDiscriminator's videoD / imageD
            x = torch.randn(4, channels, RESOLUTION, RESOLUTION, generator=gen) * INPUT_SCALE
            mixed = build(NUM_FP16_RES, CONV_CLAMP, channels)
            dtypes = [getattr(mixed, f"b{r}").use_fp16 for r in mixed.block_resolutions]
            assert dtypes == [True, True, False], dtypes
            arrays.update({f"{name}/d/{k}": v.numpy() for k, v in mixed.state_dict().items()})
            arrays[f"{name}/x"] = x.numpy()
            with torch.no_grad():
                arrays[f"{name}/mixed"] = mixed(x, None).numpy()
                arrays[f"{name}/fp32"] = build(0, CONV_CLAMP, channels)(x, None).numpy()
                arrays[f"{name}/unclamped"] = build(0, None, channels)(x, None).numpy()
            shares = _clamped_share(mixed, x)
            arrays[f"{name}/clamped_layers"] = np.array(list(shares))
            arrays[f"{name}/clamped_share"] = np.array(list(shares.values()))
            print(name, {k: round(v, 3) for k, v in shares.items()},
                  "mixed", arrays[f"{name}/mixed"].ravel(), "fp32", arrays[f"{name}/fp32"].ravel(),
                  "unclamped", arrays[f"{name}/unclamped"].ravel())
    save_npz(out / "official_digan_d_mixed.npz", arrays)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--digan", type=Path, required=True)
    p.add_argument("--pylib", type=Path, help="extra site folder with omegaconf and einops (DIGAN deps)")
    p.add_argument("--out", type=Path, default=Path("tests/fixtures"))
    args = p.parse_args()
    if args.pylib:
        sys.path.append(str(args.pylib))
    torch.set_num_threads(1)
    make(args.digan, args.out)


if __name__ == "__main__":
    main()
