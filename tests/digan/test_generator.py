"""DIGAN generator: shapes, the time/space conventions, and properties that follow from the design."""
import math

import pytest
import torch

from vidsynth.models.digan import DIGANDiscriminator, DIGANGenerator, motion_input
from vidsynth.models.digan.coordinates import coordinate_grid
from vidsynth.nn.fmm import FMMLayer
from tests.tolerances import LAYOUT_ATOL

SMALL = dict(resolution=16, input_resolution=8, z_dim=16, w_dim=16, motion_dim=16, emb_size=8,
             channel_base=128, channel_max=16)


@pytest.fixture(scope="module")
def G():
    torch.manual_seed(0)
    return DIGANGenerator(**SMALL).eval()


def latents(n, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, 16, generator=g), torch.randn(n, 16, generator=g)


def test_output_shape_and_range_of_times(G):
    z, zm = latents(2)
    assert G(z, zm, G.frame_times(5)).shape == (2, 3, 5, 16, 16)
    # per-video times [B, T], fractional, negative and beyond the training interval
    times = torch.tensor([[0.0, 0.33, -0.5], [1.7, 2.0, 0.1]])
    assert G(z, zm, times).shape == (2, 3, 3, 16, 16)


def test_frame_times_follow_official_convention():
    t = DIGANGenerator.frame_times(16, 16)
    assert t[0] == 0 and t[-1] == 1 and torch.allclose(t[1] - t[0], torch.tensor(1 / 15))
    assert DIGANGenerator.frame_times(64, 16)[-1] == pytest.approx(63 / 15)  # 4x extrapolation
    # a list of (real) frame indices, as prediction and the apps use: i / (train_frames - 1), float32
    assert DIGANGenerator.frame_times([4, 2.5, -1, 10], 11).tolist() == pytest.approx([0.4, 0.25, -0.1, 1.0], abs=1e-7)


def test_frames_are_rendered_independently_of_which_other_times_are_asked(G):
    """Non-autoregressive: frame t does not depend on the other frames in the call."""
    z, zm = latents(2)
    all_frames = G(z, zm, torch.tensor([0.0, 0.25, 0.5, 0.75]))
    one = G(z, zm, torch.tensor([0.5]))
    assert torch.allclose(all_frames[:, :, 2:3], one, atol=LAYOUT_ATOL)


def test_motion_code_only_acts_through_time(G):
    """At t = 0 the motion phase is f_M(0) whatever z_M, so the first frame depends on content alone."""
    z, zm1 = latents(2, 0)
    _, zm2 = latents(2, 1)
    a = G(z, zm1, torch.tensor([0.0, 0.8]))
    b = G(z, zm2, torch.tensor([0.0, 0.8]))
    assert torch.allclose(a[:, :, 0], b[:, :, 0], atol=LAYOUT_ATOL)
    assert (a[:, :, 1] - b[:, :, 1]).abs().max() > 1e-3


def test_small_time_steps_give_small_changes(G):
    """Continuity in t: a tiny dt changes the frame far less than a large one."""
    z, zm = latents(2)
    v = G(z, zm, torch.tensor([0.5, 0.5 + 1e-3, 1.5]))
    small = (v[:, :, 1] - v[:, :, 0]).abs().mean()
    large = (v[:, :, 2] - v[:, :, 0]).abs().mean()
    assert small < large * 0.05


def test_space_upsampling_and_zoom_out(G):
    z, zm = latents(1)
    t = torch.tensor([0.0, 0.5])
    assert G(z, zm, t, scale=4).shape == (1, 3, 2, 64, 64)
    zoom = G(z, zm, t, scale=1.5, coord_range=(-0.25, 1.25))
    assert zoom.shape == (1, 3, 2, 24, 24)
    with pytest.raises(ValueError):
        G(z, zm, t, scale=1.3)


def test_coordinate_grid_matches_official_layout():
    g = coordinate_grid(4).view(2, 4, 4)
    assert torch.allclose(g[0, 0], torch.tensor([-1.0, -0.5, 0.0, 0.5]))   # x along a row
    assert torch.allclose(g[1, :, 0], torch.tensor([0.5, 0.0, -0.5, -1.0]))  # y grows upwards
    wide = coordinate_grid(6, (-0.25, 1.25)).view(2, 6, 6)
    assert wide[0, 0, 0] == pytest.approx(-1.5)


def test_fmm_layer_is_demodulated():
    layer = FMMLayer(8, 6, w_dim=4, rank=3)
    w = torch.randn(5, 4)
    weight = layer.modulated_weight(w)
    assert weight.shape == (5, 6, 8)
    assert torch.allclose(weight.norm(dim=2), torch.ones(5, 6), atol=1e-5)


def test_paper_configuration_size():
    """The official 128 px configuration: blocks 4..32 on the 32x32 grid, 64 and 128 upsampled, 256 channels at 128."""
    G = DIGANGenerator()
    assert G.block_resolutions == [32, 32, 32, 32, 64, 128]
    assert [len(b.layers) for b in G.blocks] == [1, 2, 2, 2, 2, 3]
    assert G.blocks[-1].layers[0].weight.shape == (256, 512 + 256)
    n = sum(p.numel() for p in G.parameters())
    assert 60e6 < n < 70e6


def test_discriminators_and_motion_input():
    """The image D scores both frames of every pair (frame 1 and frame 2, not one of them twice) and the
    motion D sees both frames and dt: changing any of them changes the corresponding logits."""
    D = DIGANDiscriminator(resolution=16, channel_base=128, channel_max=16, mbstd_group_size=2)
    f1, f2 = torch.randn(4, 3, 16, 16), torch.randn(4, 3, 16, 16)
    dt = torch.tensor([0.1, 0.2, 0.3, 0.4])
    pair = motion_input(f1, f2, dt)
    assert pair.shape == (4, 7, 16, 16) and torch.allclose(pair[2, 6], torch.full((16, 16), 0.3))
    assert torch.equal(pair[:, :3], f1) and torch.equal(pair[:, 3:6], f2)
    with torch.no_grad():
        motion, image = D(pair)
        assert motion.shape == (4, 1) and image.shape == (8, 1)
        other = torch.randn(4, 3, 16, 16)
        # a change well above float rounding (logits are O(0.1-1); 1e-3 is >1e3 x their rounding error)
        changed = lambda a, b: (a - b).abs().max() > 1e-3
        assert changed(D(motion_input(f1, other, dt))[1], image), "the image D ignores frame 2"
        assert changed(D(motion_input(other, f2, dt))[1], image), "the image D ignores frame 1"
        assert changed(D(motion_input(f1, other, dt))[0], motion), "the motion D ignores frame 2"
        assert changed(D(motion_input(f1, f2, 1 - dt))[0], motion), "the motion D ignores dt"


def test_conditional_generator_needs_labels():
    G = DIGANGenerator(**SMALL, c_dim=3)
    z, zm = latents(2)
    c = torch.nn.functional.one_hot(torch.tensor([0, 2]), 3).float()
    assert G(z, zm, torch.tensor([0.0]), c).shape == (2, 3, 1, 16, 16)
    with pytest.raises(ValueError, match="class-conditional"):
        G(z, zm, torch.tensor([0.0]))


def test_commuted_upsampling_layer_equals_the_official_concatenation(G):
    """FMMLayer.forward_upsampled == upsample, concatenate the embedding, multiply (exact up to rounding)."""
    from vidsynth.models.digan.generator import SynthesisBlock

    z, zm = latents(2)
    t = torch.tensor([0.0, 0.4, 1.3])
    fast = G(z, zm, t)
    SynthesisBlock.commute_upsample = False
    try:
        official = G(z, zm, t)
    finally:
        SynthesisBlock.commute_upsample = True
    assert torch.allclose(fast, official, atol=LAYOUT_ATOL)


def test_motion_generator_is_the_papers_phase_shift(G):
    """DIGANMotionGenerator (paper §3.1): m_t = f_M(leaky_relu(A([w; z_M]) * t * sigma_t)), written out here
    with the layers' own weights; the space-time embedding adds exactly this to the Fourier phase."""
    from vidsynth.models.digan import DIGANMotionGenerator

    emb = G.blocks[0].embedding
    assert isinstance(emb.motion, DIGANMotionGenerator) and emb.motion.sigma_t == 0.25
    z, zm = latents(2)
    w = G.mapping(z)
    t = torch.tensor([[0.0, 0.5, 2.0], [1.0, -0.5, 0.25]])
    m = emb.motion.motion_affine(torch.cat([w, zm], 1))                                 # A([w; z_M]) [B, E]
    expected = emb.motion.f_motion(torch.nn.functional.leaky_relu(m[:, None] * t[..., None] * 0.25))
    assert torch.equal(emb.motion(w, zm, t), expected)       # the same ops in the same order: bit-identical
    assert not torch.equal(emb.motion(w, zm.flip(0), t), expected)   # the motion code moves the phase


def test_motion_generator_weights_keep_their_flat_state_dict_keys(G):
    """Checkpoints, exports and the official key map store A and f_M beside xyaffine (``embedding.motion_affine``,
    not ``embedding.motion.motion_affine``); saving renames, loading renames back."""
    keys = list(G.blocks[0].embedding.state_dict())
    assert keys == ["xyaffine.weight", "xyaffine.bias", "motion_affine.weight", "motion_affine.bias",
                    "f_motion.0.weight", "f_motion.0.bias", "f_motion.1.weight", "f_motion.1.bias"]
    state = G.state_dict()
    assert "blocks.0.embedding.motion_affine.weight" in state and not any(".motion.motion_affine" in k for k in state)
    fresh = DIGANGenerator(**SMALL)
    fresh.load_state_dict(state)                                              # strict: every key found
    assert torch.equal(fresh.blocks[0].embedding.motion.f_motion[1].weight, G.blocks[0].embedding.motion.f_motion[1].weight)


def test_discriminators_by_name():
    """The image D sees 3-channel frames, the motion D 7-channel (frame t1, frame t2, dt) triplets built by its
    own input builder; both keep the ``image_d`` / ``motion_d`` state-dict prefixes."""
    from vidsynth.models.digan import ImageDiscriminator, MotionDiscriminator

    D = DIGANDiscriminator(16, channel_base=128, channel_max=16, mbstd_group_size=2)
    assert type(D.image_d) is ImageDiscriminator and D.image_d.fromrgb.weight.shape[1] == 3
    assert type(D.motion_d) is MotionDiscriminator and D.motion_d.fromrgb.weight.shape[1] == 7
    assert MotionDiscriminator.motion_input is motion_input
    assert {k.split(".")[0] for k in D.state_dict()} == {"image_d", "motion_d"}


def test_init_kwargs_rebuild_the_generator_and_match_the_trainers_export():
    """Every exportable generator carries ``init_kwargs`` (what save_model stores); DIGAN's equal the
    config's kwargs, with ``width`` only for non-square frames (square exports keep their config.json)."""
    from vidsynth.config import method_config
    from vidsynth.training.digan import generator_kwargs

    cfg = method_config("digan", "tiny")
    square = DIGANGenerator(**generator_kwargs(cfg))
    assert square.init_kwargs == generator_kwargs(cfg) and "width" not in square.init_kwargs
    wide = DIGANGenerator(**(generator_kwargs(cfg) | {"width": 2 * cfg.resolution}))
    assert wide.init_kwargs["width"] == 2 * cfg.resolution
    rebuilt = DIGANGenerator(**wide.init_kwargs)
    assert {k: v.shape for k, v in rebuilt.state_dict().items()} == {k: v.shape for k, v in wide.state_dict().items()}
