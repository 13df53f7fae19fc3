"""Golden numbers from the official MoCoGAN-HD code for ``tests/mocogan/test_official_fixtures.py``.

Needs a checkout of https://github.com/snap-research/MoCoGAN-HD (not a vidsynth dependency; never
imported by the package or CI). Runs on CPU::

    git clone https://github.com/snap-research/MoCoGAN-HD /tmp/mocogan-hd
    python scripts/official_fixtures/mocogan_hd.py /tmp/mocogan-hd [--out tests/fixtures]

(``scripts/make_official_fixtures.py`` calls :func:`main` for all papers.)

What it does, without editing the checkout:
* CPU: the official StyleGAN2 imports compiled CUDA ops (``models/stylegan2/op``); a stand-in module
  with pure-torch equivalents (``vidsynth.bench.official_code.rosinality_ops``, written from the op's
  definition) is registered under that name first. ``Tensor.cuda`` is the identity while the official
  code runs, and ``RNNModule.get_initial_state_z`` draws on the CPU.
* Small: every network is the official class, built at the official defaults except that all
  channel widths are divided by a constant (``WIDTH``: StyleGAN2's 512 -> 16, PatchGAN 64 -> 4,
  BigGAN D_ch 96 -> 4) by wrapping the layer constructors the official modules call, so the code
  paths are the official ones and the fixture stays small. Weights are the official seeded inits,
  except that the noise strengths (init 0) and the motion head ``w``, ``b`` (init ~0) are set larger,
  so that the noise maps and every loss term (feature matching too) visibly affect the numbers.
* Steps: one official in-domain ``G_step`` and ``D_step`` and one cross-domain pair (with the
  ``warp`` augmentation replaced by the identity, since its Python-``random`` draws cannot be
  replayed) run on copies of the same networks; every random draw they make (z, the per-video noise
  maps, the LSTM noise, time flips, frame index, WGAN-GP alpha) is recorded so the test replays it.

Writes NUMBERS ONLY (no code, no pickles) to ``official_mocogan_hd_in_domain.npz`` and
``official_mocogan_hd_cross_domain.npz``: weights under official key names (prefixes ``G.``,
``R.`` (RNNModule), ``D3d.``, ``Dimg.``), inputs, outputs, every loss term and the L2 norm of every
trained parameter's gradient after one G and one D step.
"""
from __future__ import annotations

import argparse
import contextlib
import random
import sys
import types
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

ROOT = Path(__file__).resolve().parents[2]
if str(Path(__file__).resolve().parent) not in sys.path:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
from official_code import official_code, require_checkout, save_npz  # noqa: E402

from vidsynth.bench.official_code import rosinality_ops  # noqa: E402  (pure-PyTorch stand-ins for the CUDA ops)

BATCH, FRAMES, SIZE = 2, 4, 32             # videos, frames (n_frames_G), G_I and D input size (px)
STYLE_DIM, N_MLP, H_DIM, N_PCA = 16, 2, 16, 8
WIDTH = {"stylegan2": 32, "patchgan": 32, "biggan": 24}   # channel divisors (512/32 = 16, 64/32 = 2, 96/24 = 4)
Q_LEN, L_LEN = 8, 8                        # cross-domain memory bank length and projection size


class _Wrapped(torch.nn.Module):
    """Stands in for DDP: the official steps reach the model through ``.module``."""

    def __init__(self, module):
        super().__init__()
        self.module = module

    def forward(self, *args, **kwargs):
        return self.module(*args, **kwargs)


class Recorder:
    """Records the random draws of the official code while it runs."""

    def __init__(self):
        self.normal, self.rand, self.randint, self.motion = [], [], [], []


@contextlib.contextmanager
def official_environment(checkout: Path):
    """Import path, CPU op stand-ins, and shrunken layer constructors for the official modules."""
    ops = rosinality_ops("models.stylegan2.op")
    with official_code(checkout, packages=("models", "train_func_in_domain", "train_func_cross_domain")):
        sys.modules["models.stylegan2.op"] = ops
        import models.BigGAN.BigGAN_D as biggan_d
        import models.D as d_pair
        import models.D_3d as d_3d
        import models.D_img as d_img
        import models.stylegan2.model as sg2

        def shrink(cls, div, positions):
            class Small(cls):
                def __init__(self, *args, **kwargs):
                    args = [a // div if i in positions else a for i, a in enumerate(args)]
                    super().__init__(*args, **kwargs)
            Small.__name__ = cls.__name__
            return Small
        sg2.ConstantInput = shrink(sg2.ConstantInput, WIDTH["stylegan2"], {0})
        sg2.StyledConv = shrink(sg2.StyledConv, WIDTH["stylegan2"], {0, 1})
        sg2.ToRGB = shrink(sg2.ToRGB, WIDTH["stylegan2"], {0})
        def shrink_global(mod, name, div):
            """Replace class ``mod.name`` by one whose 2nd argument (width) is divided by ``div``. The
            official ``__init__`` calls ``super(Name, self)``, so the name is restored while it runs."""
            base = getattr(mod, name)

            class Small(base):
                def __init__(self, first, width, *args, **kwargs):
                    setattr(mod, name, base)
                    try:
                        base.__init__(self, first, width // div, *args, **kwargs)
                    finally:
                        setattr(mod, name, Small)
            Small.__name__ = base.__name__
            setattr(mod, name, Small)
        shrink_global(d_3d, "NLayerDiscriminator", WIDTH["patchgan"])
        shrink_global(d_pair, "NLayerDiscriminator", WIDTH["patchgan"])

        base_d = biggan_d.Discriminator

        class SmallBigGAN(base_d):       # D_ch is a keyword default: pass the small width explicitly
            def __init__(self, **kwargs):
                biggan_d.Discriminator = base_d
                try:
                    base_d.__init__(self, D_ch=96 // WIDTH["biggan"], **kwargs)
                finally:
                    biggan_d.Discriminator = SmallBigGAN
        biggan_d.Discriminator = SmallBigGAN
        yield


@contextlib.contextmanager
def recording(rec: Recorder, rnn_cls):
    """Record every draw the official step makes from torch's and Python's global generators."""
    normal_, rand, randint = torch.Tensor.normal_, torch.rand, random.randint

    def normal_rec(self, *a, **k):
        out = normal_(self, *a, **k)
        rec.normal.append(self.detach().clone())
        return out

    def rand_rec(*a, **k):
        out = rand(*a, **k)
        rec.rand.append(out.clone())
        return out

    def randint_rec(a, b):
        out = randint(a, b)
        rec.randint.append(out)
        return out

    def motion_noise(self, batch):
        e = torch.randn(batch, self.z_dim)
        rec.motion.append(e.clone())
        return e
    saved_motion = rnn_cls.get_initial_state_z
    torch.Tensor.normal_, torch.rand, random.randint = normal_rec, rand_rec, randint_rec
    rnn_cls.get_initial_state_z = motion_noise
    try:
        yield
    finally:
        torch.Tensor.normal_, torch.rand, random.randint = normal_, rand, randint
        rnn_cls.get_initial_state_z = saved_motion


def _np(t) -> np.ndarray:
    return t.detach().cpu().numpy().astype(np.float32) if torch.is_tensor(t) else np.asarray(t, np.float32)


def _opt(cross_domain: bool) -> argparse.Namespace:
    """The official options the networks and steps read (official defaults unless small)."""
    return argparse.Namespace(
        cross_domain=cross_domain, nc=3, n_frames_G=FRAMES, norm_D_3d="instance", num_D=2, lr=1e-4,
        beta1=0.5, beta2=0.999, batchSize=BATCH, style_gan_size=SIZE, video_frame_size=SIZE, G_step=1,
        moco_m=0.999, moco_t=0.07, l_len=L_LEN, q_len=Q_LEN, world_batch_size=BATCH, w_match=1.0,
        latent_dimension=STYLE_DIM, n_mlp=N_MLP, h_dim=H_DIM, n_pca=N_PCA, w_residual=0.2)


def build(opt, tmp: Path, seed: int):
    """Official G_I (+ RNNModule), D_3d and D_img at small width, seeded."""
    import models.stylegan2.model as sg2
    from models.D_3d import ModelD_3d
    from models.rnn import RNNModule

    if opt.cross_domain:
        from models.D_img import ModelD_img
    else:
        from models.D import ModelD_img
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    comp, _ = np.linalg.qr(rng.standard_normal((STYLE_DIM, STYLE_DIM)))
    np.save(tmp / "pca_comp.npy", comp.T.astype(np.float32))                        # rows = components
    np.save(tmp / "pca_stdev.npy", np.sort(rng.uniform(0.5, 2.0, STYLE_DIM))[::-1].astype(np.float32))
    G = sg2.Generator(size=SIZE, style_dim=STYLE_DIM, n_mlp=N_MLP)
    for i in range(G.num_layers):             # noise strengths start at 0; make the noise visible
        layer = G.conv1 if i == 0 else G.convs[i - 1]
        layer.noise.weight.data.fill_(0.3 + 0.1 * i)
    R = RNNModule(str(tmp / "pca_comp.npy"), str(tmp / "pca_stdev.npy"), z_dim=STYLE_DIM, h_dim=H_DIM,
                  n_pca=N_PCA, w_residual=opt.w_residual)
    with torch.no_grad():   # official init: b = 0 and w ~ N(0, 0.02), i.e. almost no motion; larger values
        R.b.normal_(0, 0.1)  # make frames differ, so that every term (feature matching too) has a gradient
        R.w.normal_(0, 1.0)
    R.init_optim(opt.lr, opt.beta1, opt.beta2)
    G.modelR = R
    G.eval().requires_grad_(False)
    R.requires_grad_(True)
    D3 = ModelD_3d(opt)
    Di = ModelD_img(opt)
    return G, R, D3, Di


def weights(prefix: str, module) -> dict[str, np.ndarray]:
    return {f"{prefix}{k}": _np(v) for k, v in module.state_dict().items()
            if not k.endswith("num_batches_tracked") and not k.endswith("kernel")}


def grad_norms(prefix: str, module) -> dict[str, np.ndarray]:
    return {f"{prefix}{k}": _np(p.grad.norm()) for k, p in module.named_parameters() if p.grad is not None}


def run_setting(cross_domain: bool, tmp: Path) -> dict[str, np.ndarray]:
    import models.losses as losses
    from models.rnn import RNNModule
    train = __import__("train_func_cross_domain" if cross_domain else "train_func_in_domain")
    opt = _opt(cross_domain)
    G, R, D3, Di = build(opt, tmp, seed=1 if cross_domain else 0)
    out: dict[str, np.ndarray] = {}
    out.update({k: v for k, v in weights("G.", G).items() if not k.startswith("G.modelR.")})
    out.update(weights("R.", R))
    out.update(weights("D3d.", D3))
    out.update({k: v for k, v in weights("Dimg.", Di).items()    # the EMA copy's parameters start equal to
                if not k.startswith("Dimg.modelD_ema.") or k.endswith(("weight_u", "weight_v"))})  # modelD's
    out["pca_comp"], out["pca_stdev"] = np.load(tmp / "pca_comp.npy"), np.load(tmp / "pca_stdev.npy")

    # --- G output: a short video with per-video noise drawn by the official NoiseInjection (in-domain file only) ---
    if not cross_domain:
        gen = torch.Generator().manual_seed(7)
        z = torch.randn(BATCH, STYLE_DIM, generator=gen)
        e = torch.randn(FRAMES - 1, BATCH, STYLE_DIM, generator=gen)
        queue = list(e)
        R.get_initial_state_z = lambda batch: queue.pop(0)
        torch.manual_seed(11)
        rec = Recorder()
        with torch.no_grad(), recording(rec, RNNModule):
            video, rand_in, rand_rec = G([z], FRAMES, use_noise=True)
        queue[:] = list(e)
        with torch.no_grad():
            video_plain, _, _ = G([z], FRAMES, use_noise=False)
        del R.get_initial_state_z
        for i, m in enumerate(rec.normal):          # one map [B, 1, H, W] per layer, drawn by NoiseInjection
            out[f"in.map.{i}"] = _np(m)
        out.update({"in.z": _np(z), "in.e": _np(e),
                    "out.video_noise": _np(video), "out.video_plain": _np(video_plain[:FRAMES]),   # plain: video 0
                    "out.rand_rec": _np(rand_rec),
                    "out.l_mutual": _np(-torch.mean(F.cosine_similarity(rand_rec, rand_in)))})

    # --- every D and loss term on fixed inputs ---
    gen = torch.Generator().manual_seed(3)
    real_u8 = torch.randint(0, 256, (BATCH, FRAMES, 3, SIZE, SIZE), generator=gen, dtype=torch.uint8)
    fake_u8 = torch.randint(0, 256, (BATCH, FRAMES, 3, SIZE, SIZE), generator=gen, dtype=torch.uint8)
    real = real_u8.float() / 127.5 - 1                                  # [B, T, 3, H, W], the official layout
    fake = fake_u8.float() / 127.5 - 1
    out["in.real_u8"], out["in.fake_u8"] = real_u8.numpy(), fake_u8.numpy()   # stored small; x / 127.5 - 1
    if cross_domain:
        real_in, fake_in = real, fake
    else:
        real_in = torch.cat((real[:, 0:1].repeat(1, FRAMES - 1, 1, 1, 1), real[:, 1:]), dim=2)
        fake_in = torch.cat((fake[:, 0:1].repeat(1, FRAMES - 1, 1, 1, 1), fake[:, 1:]), dim=2)
    crit = losses.Relativistic_Average_LSGAN()
    d_real = D3(real_in.transpose(1, 2))
    d_fake = D3(fake_in.transpose(1, 2))
    for s, (r, f) in enumerate(zip(d_real, d_fake)):
        out[f"out.D3d_real.{s}"], out[f"out.D3d_fake.{s}"] = _np(r[-1]), _np(f[-1])
    out["loss.video_real"] = _np(crit(d_real, d_fake, True))
    out["loss.video_fake"] = _np(crit(d_fake, d_real, False))
    out["loss.video_G"] = _np((crit(d_fake, d_real, True) + crit(d_real, d_fake, False)) * 0.5)
    torch.manual_seed(5)
    alpha = torch.rand(BATCH, 1, 1, 1, 1)
    torch.manual_seed(5)
    out["loss.video_gp"] = _np(losses.compute_gradient_penalty_T(real_in.transpose(1, 2), fake_in.transpose(1, 2),
                                                                  D3, opt))
    out["in.gp_alpha"] = _np(alpha)
    t = 2
    out["in.t"] = np.float32(t)
    if not cross_domain:
        i_real = Di(torch.cat((real[:, 0], real[:, t]), dim=1))
        i_fake = Di(torch.cat((fake[:, 0], fake[:, t]), dim=1))
        for s, (r, f) in enumerate(zip(i_real, i_fake)):
            out[f"out.Dimg_real.{s}"], out[f"out.Dimg_fake.{s}"] = _np(r[-1]), _np(f[-1])
        out["loss.image_real"] = _np(crit(i_real, i_fake, True))
        out["loss.image_fake"] = _np(crit(i_fake, i_real, False))
        out["loss.image_G"] = _np((crit(i_fake, i_real, True) + crit(i_real, i_fake, False)) * 0.5)
    else:
        Di.eval()                       # spectral norm: use the stored u, v (no power iteration) for the probes
        views_u8 = {k: torch.randint(0, 256, (BATCH, 3, SIZE, SIZE), generator=gen, dtype=torch.uint8)
                    for k in ("a1", "a2", "b1", "b2")}
        views = {k: v.float() / 127.5 - 1 for k, v in views_u8.items()}
        res = {k: Di(v) for k, v in views.items()}
        for k, v in views.items():
            out[f"in.view_{k}_u8"] = views_u8[k].numpy()
            out[f"out.logit_{k}"], out[f"out.proj_{k}"] = _np(res[k][0]), _np(res[k][1])
            out[f"out.proj_ema_{k}"] = _np(Di(v, ema=True, proj_only=True))
        lr_, lf_ = losses.loss_hinge_dis(res["b1"][0], res["a1"][0])
        out["loss.image_real"], out["loss.image_fake"] = _np(lr_), _np(lf_)
        out["loss.image_G"] = _np(losses.loss_hinge_gen(res["b1"][0]))
        out["loss.contrastive"] = _np(Di.get_cntr_loss_cross_domain(res["a1"][1], res["a2"][1], res["b1"][1],
                                                                    res["b2"][1]))
        out["loss.feature_match"] = _np(-F.cosine_similarity(res["b1"][1], res["a1"][1]).mean())
        Di.train()

    # --- one official G step and one D step, each on a fresh copy, every draw recorded ---
    if cross_domain:
        train.warp = lambda x: x        # the augmentation draws from Python's random per image: not replayable
    for kind in ("G", "D"):
        G2, R2, D32, Di2 = build(opt, tmp, seed=1 if cross_domain else 0)    # the same initial weights
        if cross_domain:
            Di2.update_memory_bank = types.MethodType(lambda self, a, b: _enqueue(self, a, b), Di2)
        zbuf = torch.zeros(BATCH, STYLE_DIM)
        rec = Recorder()
        random.seed(21 if kind == "G" else 22)
        torch.manual_seed(31 if kind == "G" else 32)
        with recording(rec, RNNModule):
            step = train.G_step if kind == "G" else train.D_step
            stats = step(opt, _Wrapped(G2), _Wrapped(Di2), _Wrapped(D32), real.clone(), zbuf)
        out[f"{kind}step.z"] = _np(rec.normal[0])
        for i, m in enumerate(rec.normal[1:]):
            out[f"{kind}step.map.{i}"] = _np(m)
        out[f"{kind}step.e"] = _np(torch.stack(rec.motion))
        out[f"{kind}step.randint"] = np.asarray(rec.randint, np.float32)
        if rec.rand:
            out[f"{kind}step.gp_alpha"] = _np(rec.rand[0])
        out[f"{kind}step.stats"] = np.asarray(stats, np.float32)
        if kind == "G":
            out.update(grad_norms("Gstep.grad.R.", R2))
        else:
            out.update(grad_norms("Dstep.grad.D3d.", D32))
            out.update(grad_norms("Dstep.grad.Dimg.", Di2.modelD if cross_domain else Di2))
    return out


def _enqueue(self, logits_real, logits_fake):
    """``update_memory_bank`` without the distributed all-gather (one process)."""
    batch = logits_real.shape[0]
    ptr = int(self.q_ptr)
    self.q_real[ptr:ptr + batch, :] = logits_real
    self.q_fake[ptr:ptr + batch, :] = logits_fake
    self.q_ptr[0] = (ptr + batch) % self.q_len


def main(official_checkout: Path, out_dir: Path) -> list[Path]:
    """Write the two fixture files under ``out_dir``; returns their paths."""
    import tempfile

    official_checkout, out_dir = Path(official_checkout), Path(out_dir)
    require_checkout(official_checkout, "models/stylegan2/model.py", "snap-research/MoCoGAN-HD")
    written = []
    for cross in (False, True):
        with tempfile.TemporaryDirectory() as tmp, official_environment(official_checkout):
            arrays = run_setting(cross, Path(tmp))
        written.append(save_npz(out_dir / f"official_mocogan_hd_{'cross' if cross else 'in'}_domain.npz", arrays))
    return written


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("official_checkout", type=Path, help="path of a snap-research/MoCoGAN-HD checkout")
    parser.add_argument("--out", type=Path, default=ROOT / "tests" / "fixtures", help="output folder")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    main(args.official_checkout, args.out)
