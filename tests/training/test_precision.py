"""--precision, --channels-last and --compile (vidsynth/nn/precision.py, training/precision.py) on CPU:
bf16 and fp16 training steps stay finite and near fp32, bf16 generation stays within a stated distance of
fp32, NHWC changes layouts and not values, the compiled path is the one that runs, and the choices are
saved in config.json and kept on --resume."""
import json
from pathlib import Path

import numpy as np
import pytest
import torch
from click.testing import CliRunner

from tests.tolerances import LAYOUT_ATOL
from vidsynth.cli import main
from vidsynth.config import method_config, validate_method
from vidsynth.errors import ConfigError
from vidsynth.training import checkpoint as ckpt
from vidsynth.training.base import build_trainer
from vidsynth.training.distributed import DistContext

STEPS = 3   # step 0 has DIGAN's lazy R1 (r1_interval 16), so all three phases run


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def run_steps(method="digan", **overrides):
    """``STEPS`` steps of a test-preset trainer on fixed random clips; returns (trainer, stats per step)."""
    torch.manual_seed(0)
    cfg = method_config(method, "test", overrides)
    trainer = build_trainer(cfg, torch.device("cpu"), 0, 0, DistContext())
    frames = 1 if method == "stylegan2" else cfg.frames
    clips = torch.randint(0, 256, (cfg.batch, 3, frames, cfg.resolution, cfg.resolution), dtype=torch.uint8,
                          generator=torch.Generator().manual_seed(1))
    stats = [trainer.step(s, clips, torch.zeros(cfg.batch, dtype=torch.long), s * cfg.batch) for s in range(STEPS)]
    return trainer, stats


@pytest.fixture(scope="module")
def fp32_digan():
    return run_steps()


@pytest.mark.parametrize("method", ["digan", "stylegan2"])
def test_bf16_training_is_finite_and_near_fp32(method, fp32_digan):
    """bf16 autocast: every loss finite, and step 0's losses (same weights, same draws as fp32) within 5%.
    bf16 keeps 8 significant bits: each matmul/conv input is rounded by <= 2^-9 = 0.2% relative, and the
    ~6 layers of the test networks compound that to ~1-2% of a logit; the losses are means of softplus of
    logits, so 5% relative holds with room and a wrong graph (a dropped or doubled term) is off by far more.
    Measured at step 0: StyleGAN2 G 1.3%, D 0.2% (whole-model autocast); DIGAN (the official scheme: only
    the D's top blocks in bf16) G 6.277 vs 6.281 (0.06%), D 0.14%. The bf16 run differs at all."""
    ref = fp32_digan if method == "digan" else run_steps(method)
    trainer, stats = run_steps(method, precision="bf16")
    for step in stats:
        assert all(np.isfinite(v) for v in step.values()), step
    for key in ("loss/G", "loss/D"):
        a, b = ref[1][0][key], stats[0][key]
        assert abs(a - b) <= 0.05 * abs(a), (key, a, b)
    assert any(ref[1][0][k] != stats[0][k] for k in ("loss/G", "loss/D")), "bf16 gave fp32's exact losses"
    assert "scaler" not in trainer.state_dict()      # bf16 needs no loss scaling


def test_fp16_training_scales_the_loss_and_saves_the_scale(fp32_digan):
    """fp16 with whole-model autocast (StyleGAN2 here; MoCoGAN-HD alike): finite losses and weights, a
    GradScaler whose scale is in the trainer state (a resumed run continues with it) and loads back; the
    fp32 state has no scaler (nor has DIGAN's blockwise scheme: test_digan_mixed_precision_training)."""
    trainer, stats = run_steps("stylegan2", precision="fp16")
    for step in stats:
        assert all(np.isfinite(v) for v in step.values()), step
    assert all(torch.isfinite(p).all() for p in trainer.G.parameters())
    state = trainer.state_dict()
    assert state["scaler"]["scale"] == trainer.amp.scaler.get_scale() <= 65536.0
    other, _ = run_steps("stylegan2", precision="fp16")
    other.amp.scaler.update(3.0)                # a scale no run reaches (powers of two)
    other.load_state_dict(state)
    assert other.amp.scaler.get_scale() == state["scaler"]["scale"]
    assert "scaler" not in fp32_digan[0].state_dict()


def test_fp16_regularizer_passes_run_in_fp32():
    """The passes a penalty differentiates twice run in fp32 (under fp16 autocast, R1 was NaN at step 0)."""
    from vidsynth.training.precision import MixedPrecision

    x = torch.randn(2, 4)
    lin = torch.nn.Linear(4, 4)
    for precision, main_dtype, reg in (("fp16", torch.float16, torch.float32), ("bf16", torch.bfloat16, torch.float32),
                                 ("fp32", torch.float32, torch.float32)):
        amp = MixedPrecision(precision, "cpu")
        with amp.autocast():
            assert lin(x).dtype == main_dtype, precision
        with amp.autocast(regularizer=True):
            assert lin(x).dtype == reg, precision
    _, stats = run_steps("stylegan2", precision="fp16")   # R1 every 2 steps, path length every 2
    assert np.isfinite(stats[0]["loss/R1"]) and np.isfinite(stats[0]["loss/PL"])


def test_channels_last_changes_layout_not_values(fp32_digan):
    """NHWC weights: D's convolution weights are channels-last, and the losses of every step equal the
    contiguous run's within LAYOUT_ATOL (other kernels sum the same products in another order)."""
    trainer, stats = run_steps(channels_last=True)
    convs = [p for p in trainer.D.parameters() if p.ndim == 4 and p.shape[-1] > 1]
    assert convs and all(p.is_contiguous(memory_format=torch.channels_last) and not p.is_contiguous()
                         for p in convs)
    for ref, got in zip(fp32_digan[1], stats):
        for key, value in ref.items():
            assert abs(got[key] - value) <= LAYOUT_ATOL * max(1.0, abs(value)), (key, value, got[key])


def test_compile_runs_the_generator_through_torch_compile(monkeypatch, fp32_digan):
    """--compile: the trainer's G runs through torch.compile (a recording backend sees its graph) and
    gives the eager losses (the recording backend runs the captured graph eagerly: same kernels, so
    within LAYOUT_ATOL); G_ema (snapshots, export) stays uncompiled and the state-dict keys are unchanged."""
    from vidsynth.nn import precision

    graphs = []

    def recording(gm, example_inputs):
        graphs.append(gm)
        return gm.forward

    torch._dynamo.reset()
    monkeypatch.setattr(precision, "COMPILE_BACKEND", recording)
    trainer, stats = run_steps(compile=True)
    assert graphs, "the generator never went through torch.compile"
    assert "synthesize" in vars(trainer.G) and "synthesize" not in vars(trainer.G_ema)
    assert list(trainer.state_dict()["G"]) == list(fp32_digan[0].state_dict()["G"])
    for ref, got in zip(fp32_digan[1], stats):
        for key, value in ref.items():
            assert abs(got[key] - value) <= LAYOUT_ATOL * max(1.0, abs(value)), (key, value, got[key])


def test_bad_precision_is_refused():
    with pytest.raises(ConfigError, match="precision must be one of fp32, bf16, fp16"):
        validate_method(method_config("digan", "test", {"precision": "fp8"}))
    for key, value in (("d_num_fp16_res", -1), ("d_conv_clamp", -1.0), ("d_conv_clamp", float("nan"))):
        with pytest.raises(ConfigError, match=f"{key} must be a finite number >= 0"):
            validate_method(method_config("digan", "test", {key: value}))
    cfg = method_config("digan", "test", {"d_num_fp16_res": 0, "d_conv_clamp": 0})
    validate_method(cfg)                                             # 0: all fp32 / no clamp


@pytest.fixture(scope="module")
def digan_model(tmp_path_factory):
    """An exported (untrained) DIGAN test generator."""
    from vidsynth.export import save_model
    from vidsynth.models.digan.generator import DIGANGenerator
    from vidsynth.training.digan import generator_kwargs

    torch.manual_seed(0)
    kwargs = generator_kwargs(method_config("digan", "test"))
    return save_model(DIGANGenerator(**kwargs), tmp_path_factory.mktemp("model") / "digan", kwargs,
                      {"method": "digan", "train_frames": 4})


def test_generate_bf16_is_within_tolerance_of_fp32(digan_model, tmp_path):
    """``vidsynth generate --precision bf16``: frames within a stated distance of fp32's, and not equal.
    bf16 rounds each matmul input to 8 significant bits (<= 0.2% relative); through the INR's ~8 layers
    that is ~1% of the output scale (std 0.8 here) per pixel on average, with rare pixels near a steep
    nonlinearity further off. Measured: mean |diff| 0.005, max 0.077 on [-1, 1] (the Fourier phases stay
    fp32: in bf16 they made the max 0.26). Bounds: mean 0.02 (2.5 uint8 levels), max 0.2."""
    outs = {}
    for precision in ("fp32", "bf16"):
        out = tmp_path / f"{precision}.npz"
        result = invoke("generate", digan_model, "--n", 2, "--frames", 4, "--out", out, "--precision", precision,
                        "--device", "cpu")
        assert result.exit_code == 0, result.output
        outs[precision] = np.load(out)["videos"].astype(np.float64) / 127.5 - 1
    diff = np.abs(outs["fp32"] - outs["bf16"])
    assert diff.mean() <= 0.02 and diff.max() <= 0.2, (diff.mean(), diff.max())
    assert diff.max() > 0, "bf16 generation gave fp32's exact frames: autocast was not applied"


def test_generate_channels_last_and_compile_flags(digan_model, tmp_path, monkeypatch):
    """--channels-last and --compile keep the frames (within one uint8 level: LAYOUT_ATOL-sized float
    differences can move a value across a rounding boundary)."""
    from vidsynth.nn import precision

    graphs = []
    monkeypatch.setattr(precision, "COMPILE_BACKEND", lambda gm, inputs: graphs.append(gm) or gm.forward)
    torch._dynamo.reset()
    frames = {}
    for name, flags in (("plain", []), ("fast", ["--channels-last", "--compile"])):
        out = tmp_path / f"{name}.npz"
        result = invoke("generate", digan_model, "--n", 2, "--frames", 4, "--out", out, "--device", "cpu", *flags)
        assert result.exit_code == 0, result.output
        frames[name] = np.load(out)["videos"].astype(int)
    assert graphs, "--compile did not compile the generator"
    assert np.abs(frames["plain"] - frames["fast"]).max() <= 1


def test_precision_flags_saved_and_kept_on_resume(tmp_path):
    """``vidsynth train --precision bf16 --channels-last`` writes them to config.json; a --resume without
    the flags keeps them (the checkpoint's config), and one that changes them is refused (exit 2)."""
    args = ["train", "--method", "digan", "--preset", "test", "--data", "builtin:shapes", "--workers", "0",
            "--device", "cpu", "--quiet", "--snapshot-kimg", "0", "--outdir", tmp_path]
    result = invoke(*args, "--kimg", "0.004", "--precision", "bf16", "--channels-last")
    assert result.exit_code == 0, result.output
    run = next(p for p in tmp_path.iterdir() if p.is_dir())
    saved = json.loads((run / "config.json").read_text())["method"]
    assert (saved["precision"], saved["channels_last"], saved["compile"]) == ("bf16", True, False)
    result = invoke(*args, "--kimg", "0.008", "--resume", run)
    assert result.exit_code == 0, result.output
    state = ckpt.load(ckpt.list_checkpoints(run)[0])
    assert state["step"] == 2 and state["config"]["method"]["precision"] == "bf16"
    assert state["config"]["method"]["channels_last"] is True
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-m", "vidsynth", *map(str, args), "--kimg", "0.012", "--resume", str(run),
                           "--precision", "fp32"], capture_output=True, text=True)
    assert proc.returncode == 2 and "precision (run: 'bf16', given: 'fp32')" in proc.stderr, proc.stderr[-500:]
    assert "Traceback" not in proc.stderr


def test_fp32_islands_under_autocast():
    """What stays fp32 under bf16 autocast, exactly (same result as without autocast): StyleGAN's mapping
    networks (DIGAN's and StyleGAN2's), DIGAN's Fourier coordinate/time embedding (bf16 phases of 10-50 rad
    are off by ~0.1 rad; bf16 generation's mean error grew 0.004 -> 0.007 with them), and MoCoGAN-HD's
    motion LSTM and its mutual-information head."""
    from vidsynth.models.digan.generator import DIGANGenerator
    from vidsynth.models.mocogan_hd import MotionGenerator
    from vidsynth.models.stylegan2 import StyleGAN2Generator
    from vidsynth.nn.precision import autocast
    from vidsynth.training.digan import generator_kwargs

    torch.manual_seed(0)
    G = DIGANGenerator(**generator_kwargs(method_config("digan", "test"))).eval()
    emb = next(block.embedding for block in G.blocks if block.embedding is not None)
    w, zm = torch.randn(2, 16), torch.randn(2, 16)
    times, coords = torch.rand(2, 3), torch.rand(2, 64) * 2 - 1
    SG = StyleGAN2Generator(resolution=16, style_dim=16, n_mlp=2, channel_max=16).eval()
    M = MotionGenerator(latent_dim=16, hidden_dim=16, n_pca=8, noise_dim=16, mi_hidden=16).eval()
    M.set_pca(torch.linalg.qr(torch.randn(16, 16))[0][:, :8].T.contiguous(), torch.rand(8) + 0.5)
    noise = torch.randn(2, 3, 16)
    calls = {"digan mapping": lambda: G.mapping(w),
             "stylegan2 mapping": lambda: SG.mapping(w),
             "fourier embedding": lambda: emb(w, zm, times, coords),
             "motion LSTM": lambda: M(w, 4, noise=noise).latents,
             "mutual information": lambda: M.mutual_information_loss(M(w, 4, noise=noise))}
    with torch.no_grad():
        for name, call in calls.items():
            ref = call()
            with autocast("cpu", "bf16"):
                got = call()
            assert got.dtype == torch.float32 and torch.equal(got, ref), name


# --- DIGAN: StyleGAN2-ADA's mixed precision (official src/train.py: D num_fp16_res 4, conv_clamp 256; G fp32) ---

MIXED_FIXTURE = Path(__file__).parents[1] / "fixtures" / "official_digan_d_mixed.npz"


def official_d(fx, name: str, **kwargs):
    """Our image / motion D with the fixture's official weights (scripts/make_mixed_precision_fixture.py)."""
    from vidsynth.models.digan import ImageDiscriminator, MotionDiscriminator
    from vidsynth.models.digan.official_keys import official_digan_key, to_our_layout

    cls = MotionDiscriminator if name == "motion" else ImageDiscriminator
    D = cls(32, channel_base=256, channel_max=32, mbstd_group_size=2, **kwargs)
    prefix, state = f"{name}/d/", {}
    for key in fx:
        ours = official_digan_key("imageD." + key[len(prefix):], 32) if key.startswith(prefix) else None
        if ours:
            state[ours[len("image_d."):]] = to_our_layout(ours, torch.from_numpy(fx[key]))
    D.load_state_dict(state)
    return D.eval()


@pytest.mark.parametrize("name", ["motion", "image"])
def test_mixed_precision_d_matches_official(name):
    """Our D equals the official D (its weights, inputs and outputs in the fixture, made from the official code on
    CPU) with its activations clamped at 256 * gain whenever a reduced format is set (even with no reduced
    block: num_fp16_res 0), and unclamped without one (as the official --fp32): the fixture's inputs and x3
    weights put 2-36% of every clamped layer's outputs at the clamp, fp32 layers (block 8, the epilogue conv)
    included, and unclamped the logits are ~100x larger. fp32 with the clamp and fp32 without: same float32 ops,
    only the blur's rounding differs (measured 1.8e-6 and 4.4e-7 of the output scale; bound 2e-5). The official
    mixed run (blocks 32 and 16 in float16, block 8 and the epilogue fp32, num_fp16_res = 2): fp16 keeps 11 bits
    (4.9e-4 relative per rounding), our conv adds its bias before rounding where the official rounds twice, and
    a rounding can move a value across the clamp, over ~10 layers: measured 3.2e-3 / 1.7e-3 of the output scale,
    about what the official fp16 differs from the official fp32 (2.5e-3 / 2.6e-3); bound 1e-2, far below a
    missing clamp (x100) or a layer clamped at the wrong gain (checked in fp32)."""
    fx = np.load(MIXED_FIXTURE)
    shares = dict(zip(fx[f"{name}/clamped_layers"], fx[f"{name}/clamped_share"]))
    assert len(shares) == 8 and min(shares.values()) > 0.02, shares       # every clamped layer, b8 and b4 too
    x = torch.from_numpy(fx[f"{name}/x"])
    fp32_clamped = official_d(fx, name, num_fp16_res=0, conv_clamp=256)       # a reduced format, no reduced block
    fp32_clamped.set_reduced_dtype(torch.float16)
    mixed, default = official_d(fx, name, num_fp16_res=2, conv_clamp=256), official_d(fx, name, num_fp16_res=2,
                                                                                       conv_clamp=256)
    mixed.set_reduced_dtype(torch.float16)

    def err(out, key):
        ref = torch.from_numpy(fx[f"{name}/{key}"])
        return ((out - ref).abs().max() / ref.abs().max()).item()

    with torch.no_grad():
        assert err(fp32_clamped(x), "fp32") < 2e-5
        assert err(default(x), "unclamped") < 2e-5       # fp32 precision: no clamp (the official --fp32)
        assert err(default(x), "fp32") > 10              # the clamp matters here
        assert err(mixed(x), "mixed") < 1e-2


def test_mixed_precision_block_formats():
    """Which layers run in which format (forward hooks): after set_reduced_precision, the top num_fp16_res
    resolutions (fromrgb with the top block) in fp16 / bf16 and the rest and the epilogue in fp32, also
    inside an autocast region; without it (default) all fp32, and an autocast region applies throughout (the
    StyleGAN2 trainer's whole-model autocast). The official rule res >= max(2^(log2 R + 1 - N), 8) gives
    blocks 128..16 reduced and 8 fp32 for DIGAN's default N = 4 at 128 px."""
    from vidsynth.models.digan import DIGANDiscriminator
    from vidsynth.nn.precision import autocast, set_reduced_precision

    assert DIGANDiscriminator(128, channel_base=256, channel_max=8).image_d.reduced_blocks == [True] * 4 + [False]
    torch.manual_seed(0)
    D = DIGANDiscriminator(32, 0, 256, 32, 2, num_fp16_res=2).eval()
    formats = {}
    for name, m in D.named_modules():
        if type(m).__name__ in ("EqualConv2d", "EqualLinear"):
            m.register_forward_hook(lambda m, i, o, name=name: formats.__setitem__(name, o.dtype))
    x = torch.randn(2, 7, 32, 32)
    for precision, dtype in (("fp16", torch.float16), ("bf16", torch.bfloat16), ("fp32", torch.float32)):
        assert set_reduced_precision(D, precision) == [D.image_d, D.motion_d]
        for ambient in ("fp32", "bf16"):
            formats.clear()
            with torch.no_grad(), autocast("cpu", ambient):
                out = D(x)
            assert all(o.dtype == (torch.float32 if precision != "fp32" else formats["image_d.out"]) for o in out)
            want = dtype if precision != "fp32" else {"fp32": torch.float32, "bf16": torch.bfloat16}[ambient]
            for name, got in formats.items():
                top = ".fromrgb" in name or ".blocks.0." in name or ".blocks.1." in name
                expect = want if top or precision == "fp32" else torch.float32
                assert got == expect, (precision, ambient, name, got)
            assert len(formats) == 2 * 13


def test_digan_mixed_precision_training(fp32_digan):
    """--precision fp16 / bf16 for DIGAN, as the official trains: G in fp32 (configs/digan.yml fp32: true),
    the Ds' top blocks reduced (all of the test preset's two: num_fp16_res 4 at 16 px), no GradScaler
    (StyleGAN2-ADA has none) and so no scale in the state. Losses finite for every step, and step 0's (same
    weights and draws as fp32) within 1% of fp32's: only the D's two blocks round (bf16: <= 0.4% relative
    per rounding, fp16 0.05%), averaged over the batch in a softplus. Measured at step 0: fp16 G 0.016%,
    D 0.003%, R1 0.005%; bf16 G 0.06%, D 0.13-0.17%, R1 0.05% where oneDNN has no bf16 convolutions (AVX2:
    PyTorch computes them in fp32 from bf16 inputs) but 1.25% on AVX-512 CPUs (any oneDNN ISA from
    AVX512_CORE up, checked with ONEDNN_MAX_CPU_ISA), whose bf16 kernels also store the input gradient in
    bf16: R1 squares that gradient, so its error is twice the rounding of a gradient summed over the
    blocks' layers. bf16's R1 bound is therefore 3% (2.4x the worst measured); every other term keeps 1%.
    And not equal to them (the blocks did round)."""
    for precision in ("fp16", "bf16"):
        trainer, stats = run_steps(precision=precision)
        assert trainer.amp.scheme == "blocks" and not trainer.amp.scaler.is_enabled()
        assert trainer.D.image_d.reduced_dtype == {"fp16": torch.float16, "bf16": torch.bfloat16}[precision]
        assert "scaler" not in trainer.state_dict()
        for step in stats:
            assert all(np.isfinite(v) for v in step.values()), (precision, step)
        assert "loss/R1" in stats[0]
        for key in ("loss/G", "loss/D", "loss/R1"):
            a, b = fp32_digan[1][0][key], stats[0][key]
            bound = 0.03 if (precision, key) == ("bf16", "loss/R1") else 0.01
            assert abs(a - b) <= bound * abs(a), (precision, key, a, b)
        assert all(fp32_digan[1][0][k] != stats[0][k] for k in ("loss/G", "loss/D")), precision
        assert all(torch.isfinite(p).all() for p in (*trainer.G.parameters(), *trainer.D.parameters()))
    with trainer.amp.autocast():                      # G's passes: no autocast at all
        assert torch.nn.functional.linear(torch.randn(2, 3), torch.randn(4, 3)).dtype == torch.float32


def test_blockwise_step_replaces_non_finite_gradients():
    """StyleGAN2-ADA's training_loop.py: NaN gradients become 0 and +-inf +-1e5 before the optimizer step
    (no loss scaling): a step on gradients (NaN, inf, -inf, 2) moves the weights by lr * (0, 1e5, -1e5, 2)."""
    from vidsynth.models.digan import DIGANDiscriminator
    from vidsynth.training.precision import MixedPrecision

    D = DIGANDiscriminator(8, 0, 64, 8, 2)
    amp = MixedPrecision("fp16", "cpu", blockwise=[D])
    w = torch.nn.Parameter(torch.zeros(4))
    holder = torch.nn.Module()
    holder.w = w
    opt = torch.optim.SGD([w], lr=0.1)
    loss = (w * torch.tensor([float("nan"), float("inf"), float("-inf"), 2.0])).sum()
    amp.backward_step(loss, [holder], [opt], DistContext())
    assert torch.equal(w.detach(), -0.1 * torch.tensor([0.0, 1e5, -1e5, 2.0]))
    with pytest.raises(ValueError, match="none has mixed-precision blocks"):
        MixedPrecision("fp16", "cpu", blockwise=[holder])
