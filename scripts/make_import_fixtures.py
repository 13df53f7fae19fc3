"""Write the numbers behind the importer tests: seeded official weights and official outputs.

Run against fetched checkouts of the official code (never imported by vidsynth, never copied into it):

    python scripts/make_import_fixtures.py --digan /path/to/sihyun-yu/digan \
        --ada /path/to/NVlabs/stylegan2-ada-pytorch --mocogan-hd /path/to/snap-research/MoCoGAN-HD \
        --pylib /path/with/omegaconf+einops+requests --out tests/fixtures

CPU patches (no change to the checkouts; ``scripts/official_fixtures/official_code.py``, shared with the
golden-fixture scripts): ``np.float`` is aliased to ``float`` for DIGAN's layers.py (removed in numpy >=
1.24); MoCoGAN-HD's ``RNNModule.forward`` calls ``.cuda()`` and draws its noise with
``torch.cuda.FloatTensor``: ``Tensor.cuda`` is the identity and the noise is fed from a seeded CPU stream.
Each fixture is an ``.npz`` of arrays only, written atomically:

- ``import_digan.npz``: ``g/<official key>``, ``d/<official key>`` (official names), ``g_kwargs`` /
  ``d_kwargs`` (JSON of the constructor kwargs the official snapshot records), inputs ``z``,
  ``z_motion``, ``times`` and the official ``ws`` (mapping), ``video`` (synthesis, ``[B*T, 3, H, W]``
  in the official ``(b t)`` order), ``d_pair`` / ``d_motion`` (videoD) and ``d_frames`` / ``d_image``
  (imageD).
- ``import_stylegan2_ada.npz``: ``g/<key>``, ``g_kwargs``, ``z``, ``ws``, ``img_const``, ``img_none``.
- ``import_mocogan_hd.npz``: ``r/<key>`` (the RNNModule state dict as saved in ``modelR_epoch_*.pth``),
  ``pca_comp``, ``pca_stdev`` (the side-folder .npy files), ``w_residual``, ``z``, ``noise``
  ``[T-1, B, D]`` and the official trajectory ``out`` ``[B*T, D]``.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent / "official_fixtures"))
from official_code import official_code, perturb as _perturb, require_checkout, save_npz  # noqa: E402


def _arrays(prefix: str, state: dict) -> dict:
    return {f"{prefix}/{k}": v.detach().cpu().numpy() for k, v in state.items()}


def _plain(value):
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def make_digan(root: Path, out: Path) -> None:
    require_checkout(root, "src/training/networks.py", "sihyun-yu/digan")
    with official_code(root / "src", packages=("training", "torch_utils", "dnnlib")):
        _make_digan(root, out)


def _make_digan(root: Path, out: Path) -> None:
    import dnnlib
    from omegaconf import OmegaConf
    from training.networks import Generator, OurDiscriminator

    gcfg = OmegaConf.to_container(OmegaConf.load(root / "configs" / "digan.yml").generator)
    gcfg["input"]["resolution"] = 8
    gcfg["num_extra_convs"] = {"16": 1}
    gcfg["coords"]["motion_sigma"] = 0.35           # not the default: the importer must read it
    for name in ("low_res_cfg", "medium_res_cfg"):
        gcfg["coords"][name]["predictable_emb_size"] = 16
    gcfg["fmm"]["rank"] = 3
    torch.manual_seed(0)
    g_kwargs = dict(z_dim=24, c_dim=0, w_dim=24, img_resolution=16, img_channels=3, ours=True,
                    mapping_kwargs=dnnlib.EasyDict(num_layers=2),
                    synthesis_kwargs=dnnlib.EasyDict(channel_base=256, channel_max=32, num_fp16_res=0, conv_clamp=None),
                    cfg=gcfg)
    G = Generator(**g_kwargs).eval()
    # fp32 and no clamping, as the audit compared them; the recorded kwargs say what a real snapshot has.
    d_kwargs = dict(c_dim=0, img_resolution=16, img_channels=3, channel_base=128, channel_max=16, num_fp16_res=0,
                    conv_clamp=None, block_kwargs={}, mapping_kwargs={}, epilogue_kwargs={"mbstd_group_size": 4})
    D = OurDiscriminator(**d_kwargs).eval()
    _perturb(G, 1)
    _perturb(D, 2)
    gen = torch.Generator().manual_seed(3)
    b, times = 2, torch.tensor([0.0, 0.3, 0.55, 1.0, 1.7])     # 1.7: extrapolation beyond training
    z = torch.randn(b, 24, generator=gen)
    z_motion = torch.randn(b, 24, generator=gen)
    with torch.no_grad():
        ws = G.mapping(z, None)
        ts = times.repeat(b).view(-1, 1, 1, 1)                # official (b t) order
        video = G.synthesis(ws, ts, z_motion)
        pair = torch.randn(4, 7, 16, 16, generator=gen)
        frames = torch.randn(4, 3, 16, 16, generator=gen)
        d_motion = D.videoD(pair, None)
        d_image = D.imageD(frames, None)
    save_npz(out / "import_digan.npz", dict(
        **_arrays("g", G.state_dict()), **_arrays("d", D.state_dict()),
        g_kwargs=np.array(json.dumps(_plain(dict(g_kwargs)))), d_kwargs=np.array(json.dumps(d_kwargs)),
        z=z.numpy(), z_motion=z_motion.numpy(), times=times.numpy(), ws=ws.numpy(), video=video.numpy(),
        d_pair=pair.numpy(), d_motion=d_motion.numpy(), d_frames=frames.numpy(), d_image=d_image.numpy()))


def make_ada(root: Path, out: Path) -> None:
    require_checkout(root, "training/networks.py", "NVlabs/stylegan2-ada-pytorch")
    with official_code(root, packages=("training", "torch_utils", "dnnlib")):
        _make_ada(out)


def _make_ada(out: Path) -> None:
    from training.networks import Generator

    torch.manual_seed(0)
    g_kwargs = dict(z_dim=32, c_dim=0, w_dim=32, img_resolution=16, img_channels=3,
                    mapping_kwargs={"num_layers": 2},
                    synthesis_kwargs={"channel_base": 32768, "channel_max": 32, "num_fp16_res": 0, "conv_clamp": None})
    G = Generator(**g_kwargs).eval()
    _perturb(G, 4)
    gen = torch.Generator().manual_seed(5)
    z = torch.randn(3, 32, generator=gen)
    with torch.no_grad():
        ws = G.mapping(z, None)
        img_const = G.synthesis(ws, noise_mode="const")
        img_none = G.synthesis(ws, noise_mode="none")
    save_npz(out / "import_stylegan2_ada.npz", dict(
        **_arrays("g", G.state_dict()), g_kwargs=np.array(json.dumps(g_kwargs)), z=z.numpy(), ws=ws.numpy(),
        img_const=img_const.numpy(), img_none=img_none.numpy()))


def make_mocogan_hd(root: Path, out: Path) -> None:
    require_checkout(root, "models/rnn.py", "snap-research/MoCoGAN-HD")
    with official_code(root, packages=("models",)):
        _make_mocogan_hd(out)


def _make_mocogan_hd(out: Path) -> None:
    import tempfile

    from models.rnn import RNNModule

    d, h, n_pca, b, t = 16, 12, 10, 2, 6
    gen = torch.Generator().manual_seed(6)
    comp = torch.linalg.qr(torch.randn(d, d, generator=gen))[0].T[:n_pca + 2].numpy()   # extra rows: dropped
    stdev = (0.5 + torch.rand(n_pca + 2, generator=gen)).numpy()
    with tempfile.TemporaryDirectory() as tmp:
        np.save(Path(tmp) / "pca_comp.npy", comp)
        np.save(Path(tmp) / "pca_stdev.npy", stdev)
        torch.manual_seed(0)
        R = RNNModule(str(Path(tmp) / "pca_comp.npy"), str(Path(tmp) / "pca_stdev.npy"), z_dim=d, h_dim=h,
                      n_pca=n_pca, w_residual=0.2)
    _perturb(R, 7)
    z = torch.randn(b, d, generator=gen)
    noise = torch.randn(t - 1, b, d, generator=gen)
    steps = iter(noise)
    R.get_initial_state_z = lambda batch: next(steps)          # CPU: the official draws torch.cuda noise
    with torch.no_grad():
        traj, _, _ = R(z, t)                                   # (official_code: .cuda() is the identity)
    save_npz(out / "import_mocogan_hd.npz", dict(
        **_arrays("r", R.state_dict()), pca_comp=comp, pca_stdev=stdev, w_residual=np.array(0.2), z=z.numpy(),
        noise=noise.numpy(), out=traj.numpy()))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--digan", type=Path)
    p.add_argument("--ada", type=Path)
    p.add_argument("--mocogan-hd", type=Path)
    p.add_argument("--pylib", type=Path, help="extra site folder with omegaconf, einops, requests (DIGAN deps)")
    p.add_argument("--out", type=Path, default=Path("tests/fixtures"))
    args = p.parse_args()
    if args.pylib:
        sys.path.append(str(args.pylib))
    torch.set_num_threads(1)
    if args.digan:
        make_digan(args.digan, args.out)
    if args.ada:
        make_ada(args.ada, args.out)
    if args.mocogan_hd:
        make_mocogan_hd(args.mocogan_hd, args.out)


if __name__ == "__main__":
    main()
