"""Issue 18's second round of DIGAN speed-ups compute what the straightforward formulas compute.

- ``point_chunks.rotated_weights``: the embedding by the angle-sum formulas (sin/cos once per grid point,
  the time's phase in per-frame weights) equals the layer applied to ``[sin(s + p); cos(s + p)]``.
- ``FMMLayer.fused_styles``: styles with the equalized-lr gain on ``w`` and the ``+1`` inside the low-rank
  product give the same modulated weight and the same gradients as the textbook formula written out here.
- A whole training step (G, D and lazy R1 phases) back-propagates the same gradients on the path before
  and after (``bench.speedups.DIGAN_BEFORE`` / ``DIGAN_AFTER``), and each FMM layer's modulated weight is
  computed once per G forward (per step and sample: never per frame or per piece).
"""
from __future__ import annotations

import math

import pytest
import torch

from vidsynth.bench.speedups import DIGAN_AFTER, DIGAN_BEFORE, _digan_switches
from vidsynth.config import method_config
from vidsynth.models.digan.point_chunks import rotated_weights
from vidsynth.nn.fmm import FMMLayer
from vidsynth.training.digan import DIGANTrainer


def test_rotated_weights_are_the_angle_sum_formulas():
    """``W [sin(s + p_t); cos(s + p_t)] = W_t [sin s; cos s]`` for every frame t, in float64 (exact up to 1e-12).
    Phases and spatial terms of DIGAN's size (|s + p| up to ~20 rad)."""
    g = torch.Generator().manual_seed(0)
    b, c_out, e, t, n = 2, 5, 4, 3, 7
    weight = torch.randn(b, c_out, 2 * e, generator=g, dtype=torch.float64)
    spatial = 10 * torch.randn(b, e, n, generator=g, dtype=torch.float64)          # [B, E, points]
    phase = 5 * torch.randn(b, e, t, generator=g, dtype=torch.float64)             # [B, E, T]
    frames = rotated_weights(weight, phase)                                        # [B, T, C_out, 2E]
    assert frames.shape == (b, t, c_out, 2 * e)
    basis = torch.cat([spatial.sin(), spatial.cos()], dim=1)                       # [B, 2E, points]
    for k in range(t):
        raw = spatial + phase[:, :, k:k + 1]
        direct = weight @ torch.cat([raw.sin(), raw.cos()], dim=1)
        torch.testing.assert_close(frames[:, k] @ basis, direct, rtol=0, atol=1e-12)
    # at phase 0 the weight is the layer's own
    torch.testing.assert_close(rotated_weights(weight, torch.zeros(b, e, 1, dtype=torch.float64))[:, 0], weight)


def _reference_modulated_weight(layer: FMMLayer, w: torch.Tensor) -> torch.Tensor:
    """FMM (INR-GAN) as written in the paper: styles = (A * gain) w + b; W * (1 + L R / sqrt(rank)), rows normalised."""
    a = layer.affine
    styles = w @ (a.weight * a.weight_gain).t() + a.bias * a.bias_gain
    r, co = layer.rank, layer.out_channels
    left, right = styles[:, :co * r].view(-1, co, r), styles[:, co * r:].view(-1, r, layer.in_channels)
    weight = layer.weight * (1 + left @ right / math.sqrt(r))
    return weight / (weight.norm(dim=2, keepdim=True) + 1e-8)


@pytest.mark.parametrize("fused", [True, False])
def test_fmm_styles_and_gradients_equal_the_reference(fused):
    """Values and gradients (w, the affine weight and bias, the base weight) of the modulated weight equal the
    reference formula's. rtol 1e-5: float32, a handful of reordered operations on O(1) numbers (ulps ~1e-7)."""
    torch.manual_seed(0)
    layer = FMMLayer(12, 9, w_dim=8, rank=3)
    layer.affine.bias.data.normal_()
    w = torch.randn(3, 8)
    probe = torch.randn(3, 9, 12)

    def value_and_grads(fn):
        layer.zero_grad(set_to_none=True)
        x = w.clone().requires_grad_(True)
        out = fn(x)
        (out * probe).sum().backward()
        return out.detach(), [x.grad, layer.affine.weight.grad, layer.affine.bias.grad, layer.weight.grad]

    previous = FMMLayer.fused_styles
    FMMLayer.fused_styles = fused
    try:
        ours, ours_grads = value_and_grads(layer.modulated_weight)
    finally:
        FMMLayer.fused_styles = previous
    ref, ref_grads = value_and_grads(lambda x: _reference_modulated_weight(layer, x))
    torch.testing.assert_close(ours, ref, rtol=1e-5, atol=1e-7)
    for a, b in zip(ours_grads, ref_grads):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6)
    # pinned: the seeded reference itself (guards the formula the test compares against)
    assert ref[0, 0, :3].tolist() == pytest.approx([-0.55303, -0.01532, 0.52610], abs=2e-5)


def _step_grads(switches: dict) -> tuple[dict, int]:
    """Gradients of every phase of step 0 (an R1 step) of a fresh test-size trainer, on the given path, and how
    many times FMM layers computed a modulated weight."""
    restore = _digan_switches(**switches)
    calls = []
    original = FMMLayer.modulated_weight
    try:
        FMMLayer.modulated_weight = lambda self, w: calls.append(1) or original(self, w)
        cfg = method_config("digan", "test", {"r1_interval": 2})
        trainer = DIGANTrainer(cfg, torch.device("cpu"), seed=0)
        for module in (trainer.G, trainer.D):        # biases start at 0: give them values so they matter
            for name, p in module.named_parameters():
                if name.endswith("bias"):
                    p.data.normal_(0, 0.3, generator=torch.Generator().manual_seed(len(name)))
        grads, apply = {}, trainer.apply

        def recording_apply(loss, module, opt):
            out = apply(loss, module, opt)                  # the gradients stay on the parameters after the step
            phase = "G" if module is trainer.G else ("R1" if "D" in grads else "D")
            grads[phase] = {n: p.grad.clone() for n, p in module.named_parameters() if p.grad is not None}
            return out

        trainer.apply = recording_apply
        g = torch.Generator().manual_seed(1)
        clips = torch.randint(0, 256, (4, 3, cfg.frames, cfg.resolution, cfg.resolution), generator=g,
                              dtype=torch.uint8)
        trainer.step(0, clips, torch.full((4,), -1), cur_nimg=0)
        layers = sum(isinstance(m, FMMLayer) for m in trainer.G.modules())
        return grads, len(calls) / layers
    finally:
        FMMLayer.modulated_weight = original
        restore()


def test_training_step_gradients_equal_before_and_after():
    before, calls_before = _step_grads(DIGAN_BEFORE)
    after, calls_after = _step_grads(DIGAN_AFTER)
    assert set(before) == set(after) == {"G", "D", "R1"}
    for phase in before:
        assert set(before[phase]) == set(after[phase]) and len(before[phase]) > 10
        scale = max(g.abs().max().item() for g in before[phase].values())
        for name, grad in before[phase].items():
            # rtol 1e-4 as the fixture tests (float32 reordering through G, D, and for R1 a double backward);
            # atol 1e-6 of the phase's largest gradient for entries that are round-off around 0.
            torch.testing.assert_close(after[phase][name], grad, rtol=1e-4, atol=1e-6 * scale,
                                       msg=lambda m: f"{phase} {name}: {m}")
    # modulated weights once per layer per G forward: the G phase's forward and the D phase's render (no per
    # frame or per piece recomputation), on both paths
    assert calls_before == calls_after == 2


@pytest.mark.parametrize("point_chunk", [1, 24, 1000])
def test_opt_in_switches_render_the_unchunked_video(point_chunk):
    """``ANGLE_SUM`` and ``RGB_IN_PLACE`` (opt-in) in pieces of 1 row to several frames, two videos, non-zero
    biases: the video of the plain all-at-once path within LAYOUT_ATOL (float32 rounding of reordered sums)."""
    from tests.digan.test_point_chunks import SMALL, latents, render, with_biases
    from tests.tolerances import LAYOUT_ATOL
    from vidsynth.models.digan import DIGANGenerator

    torch.manual_seed(0)
    G = with_biases(DIGANGenerator(**SMALL).eval().requires_grad_(False))
    z, zm = latents(2)
    times = torch.tensor([[0.0, 0.33, -0.5], [1.7, 2.0, 0.1]])
    whole = render(G, None, z, zm, times)
    restore = _digan_switches(angle_sum=True, rgb_in_place=True)
    try:
        chunked = render(G, point_chunk, z, zm, times)
    finally:
        restore()
    assert whole.abs().max() > 0.1
    torch.testing.assert_close(chunked, whole, rtol=0, atol=LAYOUT_ATOL)


def test_bench_train_step_runs_the_requested_batches():
    """``--measure speedups`` times DIGAN's step at the ``--train-batch`` batches (a paper-scale batch 16 does
    not fit every machine), both kinds, before and after."""
    from vidsynth.bench import get_subject
    from vidsynth.bench.settings import BenchSettings
    from vidsynth.bench.speedups import digan_train_step
    from vidsynth.utils import heap

    settings = BenchSettings(torch.device("cpu"), quick=False, repeat=1, train_batches=(2,))
    result = digan_train_step(get_subject("digan-test"), settings)
    assert [(row["batch"], row["kind"]) for row in result["rows"]] == [(2, "r1"), (2, "no_r1")]
    variants = ("before", "after", "after_retain_heap")
    assert set(result["sec"]) == {f"b2_{kind}_{v}" for kind in ("r1", "no_r1") for v in variants}
    assert set(result["speedup_vs_first"]) == {f"b2_{kind}_{v}" for kind in ("r1", "no_r1") for v in variants[1:]}
    for row in result["rows"]:
        assert set(row["cpu_s"]) == set(variants) and row["back_to_back"]["user_s"] > 0
        assert row["back_to_back"]["sec"] > 0 and row["back_to_back"]["minor_faults"] >= 0
    assert heap.enabled is True and heap._depth == 0
    assert BenchSettings(torch.device("cpu"), quick=False).training_batches() == (4, 16)
    assert BenchSettings(torch.device("cpu"), quick=True).training_batches() == (1,)
