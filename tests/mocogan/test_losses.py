import pytest
import torch

from tests.mocogan.conftest import DummyImageGenerator
from vidsynth.models.mocogan_hd import (ContrastiveImageDiscriminator, LossWeights, MotionGenerator,
                                        PairImageDiscriminator, VideoDiscriminator, discriminator_losses,
                                        freeze_image_generator, generator_losses)
from vidsynth.models.mocogan_hd.losses import ra_lsgan_loss, video_gradient_penalty

T = 4


def setup(mode, image_generator):
    torch.manual_seed(0)
    g = MotionGenerator(latent_dim=16, hidden_dim=8, n_pca=6, mi_hidden=12, motion_scale=0.5)
    vd = VideoDiscriminator(mode=mode, num_frames=T, input_size=16, base_channels=4)
    if mode == "in_domain":
        idisc = PairImageDiscriminator(input_size=16, base_channels=4)
    else:
        idisc = ContrastiveImageDiscriminator(resolution=16, channels=2, proj_dim=8, queue_size=16)
    real = torch.rand(2, 3, T, 16, 16) * 2 - 1
    return g, vd, idisc, real


@pytest.mark.parametrize("mode", ["in_domain", "cross_domain"])
def test_generator_losses_reach_motion_generator_only(mode, image_generator):
    g, vd, idisc, real = setup(mode, image_generator)
    losses = generator_losses(g, image_generator, vd, idisc, real, mode=mode,
                              generator=torch.Generator().manual_seed(0))
    expected = {"video_gan", "image_gan", "mutual_info", "total"} | ({"feature_match"} if mode == "cross_domain" else set())
    assert set(losses) == expected
    assert all(v.ndim == 0 and torch.isfinite(v) for v in losses.values())
    losses["total"].backward()
    for name, p in g.named_parameters():
        if name == "encoder.weight_hh":  # multiplies the zero initial state: never used (as officially)
            continue
        assert p.grad is not None and p.grad.abs().sum() > 0, name
    assert all(p.grad is None for p in image_generator.parameters())
    if mode == "cross_domain":
        assert int(idisc.bank_first.ptr) == 2 and int(idisc.bank_later.ptr) == 2


@pytest.mark.parametrize("mode", ["in_domain", "cross_domain"])
def test_discriminator_losses(mode, image_generator):
    g, vd, idisc, real = setup(mode, image_generator)
    losses = discriminator_losses(g, image_generator, vd, idisc, real, mode=mode,
                                  generator=torch.Generator().manual_seed(0))
    expected = {"video_real", "video_fake", "video_gp", "video_total", "image_real", "image_fake", "image_total",
                "total"} | ({"contrastive"} if mode == "cross_domain" else set())
    assert set(losses) == expected
    losses["total"].backward()
    assert all(p.grad is not None for p in vd.parameters())
    d_params = idisc.parameters() if mode == "in_domain" else idisc.discriminator.parameters()
    assert all(p.grad is not None for p in d_params)
    assert all(p.grad is None for p in g.parameters())          # fake video generated without graph
    assert all(p.grad is None for p in image_generator.parameters())
    w = LossWeights()
    torch.testing.assert_close(losses["video_total"], 0.5 * (losses["video_real"] + losses["video_fake"])
                               + w.gradient_penalty * losses["video_gp"])


def test_deterministic_under_seed(image_generator):
    out = []
    for _ in range(2):
        g, vd, idisc, real = setup("cross_domain", image_generator)
        out.append(generator_losses(g, image_generator, vd, idisc, real, mode="cross_domain",
                                    generator=torch.Generator().manual_seed(3))["total"])
    assert torch.equal(out[0], out[1])


def test_unfrozen_image_generator_is_refused():
    g, vd, idisc, real = setup("in_domain", None)
    gi = DummyImageGenerator()
    with pytest.raises(ValueError, match="frozen"):
        generator_losses(g, gi, vd, idisc, real)
    freeze_image_generator(gi)
    generator_losses(g, gi, vd, idisc, real)


def test_ra_lsgan_and_gradient_penalty_values():
    ones, zeros = [torch.ones(2, 1, 3)], [torch.zeros(2, 1, 3)]
    assert ra_lsgan_loss(ones, zeros, True).item() == 0.0       # real exceeds fake by exactly 1
    assert ra_lsgan_loss(zeros, ones, False).item() == 1.0
    vd = VideoDiscriminator(mode="cross_domain", num_frames=T, input_size=8, base_channels=2)
    gp = video_gradient_penalty(vd, torch.randn(2, 3, T, 8, 8), torch.randn(2, 3, T, 8, 8))
    assert gp.item() > 0
    gp.backward()
    assert vd.scales[0][0].weight.grad is not None


def test_bad_mode(image_generator):
    g, vd, idisc, real = setup("in_domain", image_generator)
    with pytest.raises(ValueError):
        generator_losses(g, image_generator, vd, idisc, real, mode="sideways")


class _BrightnessD(torch.nn.Module):
    """Stub D: one 'scale' whose patch logit is the mean brightness of its input (so we choose who wins)."""

    def __init__(self):
        super().__init__()
        self.w = torch.nn.Parameter(torch.ones(()))

    scales = [None]                       # one scale (the gradient penalty averages over scales)

    def forward(self, *frames, reverse_time=False):
        return [self.w * sum(f.mean(dim=tuple(range(1, f.ndim))) for f in frames).view(-1, 1) / len(frames)]

    def prepare(self, video):
        return video

    def forward_prepared(self, x):
        return self(x)


@pytest.mark.parametrize("kind", ["video", "image"])
def test_loss_targets_point_the_right_way(image_generator, kind):
    """In-domain relativistic LSGAN: D's GAN loss is lower, and G's higher, when D scores the real clips
    above the generated ones than when it scores them below (inverted targets reverse both)."""
    g, vd, idisc, _ = setup("in_domain", image_generator)
    if kind == "video":
        vd = _BrightnessD()
    else:
        idisc = _BrightnessD()
    out = {}
    for name, level in (("real_wins", 0.9), ("real_loses", -0.9)):
        real = torch.full((2, 3, T, 16, 16), level)          # the stub scores it +-0.9; fakes score near 0
        gen = torch.Generator().manual_seed(0)
        d = discriminator_losses(g, image_generator, vd, idisc, real, generator=gen)
        gl = generator_losses(g, image_generator, vd, idisc, real, generator=torch.Generator().manual_seed(0))
        out[name] = (float((d[f"{kind}_real"] + d[f"{kind}_fake"]).detach()), float(gl[f"{kind}_gan"].detach()))
    assert out["real_wins"][0] < out["real_loses"][0], out      # D is rewarded for real > fake
    assert out["real_wins"][1] > out["real_loses"][1], out      # G is penalised for it
