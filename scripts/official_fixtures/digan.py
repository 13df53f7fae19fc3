"""Golden numbers from the official DIGAN code (sihyun-yu/digan) for tests/digan/test_official_fixtures.py.

Builds the official generator (``networks.Generator``) and discriminator (``networks.OurDiscriminator``:
motion D ``videoD`` + image D ``imageD``) at a small configuration with seeded random weights, feeds them
fixed inputs, runs the official ``loss.py`` (``OurStyleGAN2Loss.accumulate_gradients``) for the phases
``Gmain``, ``Dmain`` and ``Dreg`` and writes NUMBERS ONLY (``.npz``, no pickles, no code) to
``<out>/official_digan.npz`` (unconditional) and ``<out>/official_digan_cond.npz`` (3 classes):

- ``G/<key>``, ``D/<key>``: the weights, under the official parameter names;
- ``in/*``: content codes z, motion codes z_M, pair times, video times, real pairs, labels, seed;
- ``out/video``: G at 3 times per video; ``out/fake``: the fake motion inputs (frames + dt plane);
  ``out/{fake,real}_{motion,image}``: logits of both Ds (no augmentation);
- for ``mode`` in ``noaug`` (DiffAugment off) and ``aug`` (``color,translation``, deterministic: torch's
  global generator is seeded with ``in/aug_seed`` before each phase, so a ``torch.Generator`` seeded alike
  draws the identical parameters): ``<mode>/loss/*`` every loss term (G adversarial per D, D adversarial
  real/fake per D, R1 per sample of each D: motion ``[B]`` w.r.t. the un-augmented pair, image ``[2B]`` w.r.t.
  the augmented frames) and ``<mode>/grad/{Gmain,Dmain,Dreg}/<key>``: the L2 norm of every parameter's
  gradient after that phase's ``accumulate_gradients`` (gain 1, 1 and 16 = the R1 interval, as the
  official training loop passes).

What is replaced, and why (nothing in the official files is edited):
- ``run_G`` draws its own times (Beta) and a hard-coded 512-d motion code; a subclass feeds the fixed
  ``in/times`` and ``in/z_motion`` instead and keeps the rest (mapping, synthesis, ``convert``, ``run_D``).
- ``np.float`` (removed from NumPy) is aliased to ``float`` for ``layers.py``.
- fp32, no ``conv_clamp`` (the official G is fp32 in digan.yml; the official D uses fp16 on GPU, which
  this CPU check cannot reproduce). The custom ops run their reference (pure PyTorch) fallbacks on CPU.

Needs the official checkout (``fetch`` sihyun-yu/digan) and, beside PyTorch, ``einops``, ``omegaconf``
and ``requests`` (imported by the official code); never a dependency of vidsynth::

    python scripts/make_official_fixtures.py digan --official /path/to/digan [--out tests/fixtures]
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

if str(Path(__file__).resolve().parent) not in sys.path:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
from official_code import commit_of, official_code, require_checkout, save_npz  # noqa: E402

# The small configuration; the tests build ours from the same numbers (stored under cfg/*).
CFG = dict(resolution=16, input_resolution=8, z_dim=8, w_dim=8, emb_size=4, fmm_rank=3, g_channel_base=128,
           g_channel_max=16, d_channel_base=64, d_channel_max=16, mbstd_group=4, extra_layers_from=16,
           mapping_layers=2, batch=4, video_frames=3, r1_gamma=1.0, r1_interval=16, seed=0, aug_seed=1234)
POLICY = "color,translation"
OFFICIAL_PACKAGES = ("src", "training", "torch_utils", "dnnlib")   # top-level packages the official code imports


def _import_official():
    """The official modules (``training.networks``, ``src.training.loss``); call inside ``official_code``."""
    from omegaconf import OmegaConf

    import src.training.loss as loss_module
    import training.networks as networks
    return networks, loss_module, OmegaConf


def _generator_cfg(checkout: Path, OmegaConf) -> dict:
    """configs/digan.yml's generator section at the small size (interpolations resolved inside it)."""
    cfg = OmegaConf.load(checkout / "configs" / "digan.yml")
    gen = OmegaConf.create(OmegaConf.to_container(cfg.generator))
    gen.input.resolution = CFG["input_resolution"]
    gen.num_extra_convs = {str(CFG["extra_layers_from"]): 1}
    gen.coords.low_res_cfg.predictable_emb_size = CFG["emb_size"]
    gen.coords.medium_res_cfg.predictable_emb_size = CFG["emb_size"]
    gen.fmm.rank = CFG["fmm_rank"]
    return OmegaConf.to_container(gen, resolve=True)


def build(networks, OmegaConf, checkout: Path, c_dim: int):
    torch.manual_seed(CFG["seed"] + c_dim)
    G = networks.Generator(
        z_dim=CFG["z_dim"], c_dim=c_dim, w_dim=CFG["w_dim"], img_resolution=CFG["resolution"], img_channels=3,
        ours=True, mapping_kwargs=dict(num_layers=CFG["mapping_layers"]),
        synthesis_kwargs=dict(channel_base=CFG["g_channel_base"], channel_max=CFG["g_channel_max"], num_fp16_res=0,
                              conv_clamp=None),
        cfg=_generator_cfg(checkout, OmegaConf))
    D = networks.OurDiscriminator(
        c_dim=c_dim, img_resolution=CFG["resolution"], img_channels=3, channel_base=CFG["d_channel_base"],
        channel_max=CFG["d_channel_max"], num_fp16_res=0, conv_clamp=None,
        epilogue_kwargs=dict(mbstd_group_size=CFG["mbstd_group"]))
    # Initial biases are constants (0 or 1): perturb every parameter so a dropped bias or gain shows.
    with torch.no_grad():
        for p in list(G.parameters()) + list(D.parameters()):
            p.add_(0.2 * torch.randn_like(p))
    return G.train(), D.train()


def make_inputs(c_dim: int) -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(CFG["seed"] + 100 + c_dim)
    b, r = CFG["batch"], CFG["resolution"]
    times = torch.rand(b, 2, generator=g).sort(dim=1).values                      # [B, 2] sorted, as run_G
    # Real pairs: smooth random frames in [-1, 1], the second a shifted copy; dt = k / 15 as the official loader.
    low = torch.randn(b, 3, r // 4, r // 4, generator=g)
    f1 = torch.tanh(F.interpolate(low, size=(r, r), mode="bilinear", align_corners=False))
    f2 = torch.tanh(f1.roll(1, dims=3) + 0.1 * torch.randn(b, 3, r, r, generator=g))
    dt = torch.randint(0, 16, (b,), generator=g).float() / 15
    real = torch.cat([f1, f2, dt.view(b, 1, 1, 1).expand(b, 1, r, r)], dim=1)
    labels = torch.randint(0, max(c_dim, 1), (b,), generator=g)
    c = F.one_hot(labels, c_dim).float() if c_dim else torch.zeros(b, 0)
    return {"z": torch.randn(b, CFG["z_dim"], generator=g), "z_motion": torch.randn(b, CFG["w_dim"], generator=g),
            "times": times, "video_times": torch.linspace(0, 1, CFG["video_frames"]).repeat(b, 1),
            "real": real, "c": c}


def run(checkout: Path, c_dim: int) -> dict[str, np.ndarray]:
    networks, loss_module, OmegaConf = _import_official()
    G, D = build(networks, OmegaConf, checkout, c_dim)
    inp = make_inputs(c_dim)
    out: dict[str, np.ndarray] = {f"cfg/{k}": np.asarray(v) for k, v in CFG.items()}
    out["cfg/c_dim"] = np.asarray(c_dim)
    out.update({f"G/{k}": v.detach().numpy().copy() for k, v in G.state_dict().items()})
    out.update({f"D/{k}": v.detach().numpy().copy() for k, v in D.state_dict().items()})
    out.update({f"in/{k}": v.numpy().copy() for k, v in inp.items()})
    b = CFG["batch"]

    class FixedInputLoss(loss_module.OurStyleGAN2Loss):
        """The official loss with ``run_G`` fed the fixed times and motion codes (see the module docstring)."""

        def run_G(self, z, c, sync):
            ts = inp["times"].reshape(-1, 1, 1, 1)                                 # '(b t) c h w'
            ws = self.G_mapping(z, c)
            return self.G_synthesis(ws, ts, inp["z_motion"]), ws, ts

        def run_D(self, img, c, sync):
            result = super().run_D(img, c, sync)
            self.scores.append([x.detach().clone() for x in result[:2]])     # (motion logits, image logits)
            return result

    # Forward outputs, no augmentation.
    with torch.no_grad():
        ws = G.mapping(inp["z"], inp["c"])
        video = G.synthesis(ws, inp["video_times"].reshape(-1, 1, 1, 1), inp["z_motion"])   # [(B T), 3, H, W]
        probe = FixedInputLoss(device="cpu", G_mapping=G.mapping, G_synthesis=G.synthesis, D=D, diffaugment="",
                               style_mixing_prob=0.0, r1_gamma=CFG["r1_gamma"], pl_weight=0)
        img, _, ts = probe.run_G(inp["z"], inp["c"], sync=False)
        fake = probe.convert(img, ts)
        out["out/video"] = video.numpy()
        out["out/fake"] = fake.numpy()
        for name, x in (("fake", fake), ("real", inp["real"])):
            motion, image, _ = D(x, inp["c"])
            out[f"out/{name}_motion"], out[f"out/{name}_image"] = motion.numpy(), image.numpy()

    for mode, policy in (("noaug", ""), ("aug", POLICY)):
        loss = FixedInputLoss(device="cpu", G_mapping=G.mapping, G_synthesis=G.synthesis, D=D, diffaugment=policy,
                              style_mixing_prob=0.0, r1_gamma=CFG["r1_gamma"], pl_weight=0)
        loss.scores, reported, grads_taken = [], {}, []
        loss_module.training_stats.report = lambda name, value: reported.setdefault(name, []).append(
            value.detach().clone() if torch.is_tensor(value) else value)
        autograd_grad = torch.autograd.grad

        def recording_grad(*args, **kwargs):
            result = autograd_grad(*args, **kwargs)
            grads_taken.append(result[0].detach().clone())
            return result

        phases = (("Gmain", G, 1), ("Dmain", D, 1), ("Dreg", D, CFG["r1_interval"]))
        for phase, module, gain in phases:
            for m in (G, D):
                m.requires_grad_(False)
                m.zero_grad(set_to_none=True)
            module.requires_grad_(True)
            torch.manual_seed(CFG["aug_seed"])     # DiffAugment draws from torch's global generator
            torch.autograd.grad = recording_grad
            try:
                loss.accumulate_gradients(phase=phase, real_img=inp["real"], real_c=inp["c"], gen_z=inp["z"],
                                          gen_c=inp["c"], sync=False, gain=gain)
            finally:
                torch.autograd.grad = autograd_grad
            for k, p in module.named_parameters():
                out[f"{mode}/grad/{phase}/{k}"] = np.asarray(0.0 if p.grad is None else p.grad.norm().item())
        # Loss terms, from what the official code reported (per sample) and the R1 gradients it took.
        mean = lambda name, i=0: np.asarray(reported[name][i].float().mean().item())
        out[f"{mode}/loss/G_motion"] = mean("Loss/G/loss")                 # softplus(-D_M(fake))
        out[f"{mode}/loss/G_image"] = mean("Loss/G/Iloss")                 # softplus(-D_I(fake frames))
        out[f"{mode}/loss/D_motion"] = mean("Loss/D/loss")                 # softplus(D_M(fake)) + softplus(-D_M(real))
        out[f"{mode}/loss/D_image"] = mean("Loss/D/Iloss")
        # Each D term as loss.py computes it, from the logits of the Dmain phase's two run_D calls (fake, real);
        # run_D calls in order: Gmain fake, Dmain fake, Dmain real, Dreg real.
        (fake_m, fake_i), (real_m, real_i) = loss.scores[1], loss.scores[2]
        out[f"{mode}/loss/D_motion_fake"] = np.asarray(F.softplus(fake_m).mean().item())
        out[f"{mode}/loss/D_motion_real"] = np.asarray(F.softplus(-real_m).mean().item())
        out[f"{mode}/loss/D_image_fake"] = np.asarray(F.softplus(fake_i).mean().item())
        out[f"{mode}/loss/D_image_real"] = np.asarray(F.softplus(-real_i).mean().item())
        assert np.isclose(out[f"{mode}/loss/D_motion_fake"] + out[f"{mode}/loss/D_motion_real"],
                          out[f"{mode}/loss/D_motion"], rtol=1e-5)
        assert np.isclose(out[f"{mode}/loss/D_image_fake"] + out[f"{mode}/loss/D_image_real"],
                          out[f"{mode}/loss/D_image"], rtol=1e-5)
        r1_motion, r1_image = grads_taken[0].square().sum([1, 2, 3]), grads_taken[1].square().sum([1, 2, 3])
        assert r1_motion.shape == (b,) and r1_image.shape == (2 * b,)
        out[f"{mode}/loss/r1_motion"] = r1_motion.numpy()                  # [B]
        out[f"{mode}/loss/r1_image"] = r1_image.numpy()                    # [2B]
        # Cross-check against the reported regulariser: loss_Dr1 = r1_penalty * gamma / 2.
        assert torch.allclose(reported["Loss/D/reg"][0].float(), r1_motion * CFG["r1_gamma"] / 2)
    return out


def main(official_checkout: Path, out_dir: Path) -> list[Path]:
    """Write ``official_digan.npz`` and ``official_digan_cond.npz`` into ``out_dir``; returns their paths."""
    official_checkout, out_dir = Path(official_checkout).resolve(), Path(out_dir)
    require_checkout(official_checkout, "src/training/networks.py", "sihyun-yu/digan")
    torch.use_deterministic_algorithms(True)
    written = []
    for name, c_dim in (("official_digan.npz", 0), ("official_digan_cond.npz", 3)):
        with official_code(official_checkout / "src", official_checkout, packages=OFFICIAL_PACKAGES):
            arrays = run(official_checkout, c_dim)
        arrays = {k: np.asarray(v, dtype=np.float32) if np.asarray(v).dtype == np.float64 else np.asarray(v)
                  for k, v in arrays.items()}
        written.append(save_npz(out_dir / name, arrays))
    print(f"official commit: {commit_of(official_checkout)}")
    return written


def cli(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--official", required=True, type=Path, help="checkout of github.com/sihyun-yu/digan")
    ap.add_argument("--out", default=Path(__file__).resolve().parents[2] / "tests" / "fixtures", type=Path)
    args = ap.parse_args(argv)
    main(args.official, args.out)


if __name__ == "__main__":
    cli()
