"""--precision, --channels-last and --compile (vidsynth/nn/precision.py, training/precision.py) on CPU:
bf16 and fp16 training steps stay finite and near fp32, bf16 generation stays within a stated distance of
fp32, NHWC changes layouts and not values, the compiled path is the one that runs, and the choices are
saved in config.json and kept on --resume."""
import json

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
    Measured at step 0: DIGAN G 6.277 vs 6.313 (0.6%), D 0.1%; StyleGAN2 G 1.3%, D 0.2%. The bf16 run
    differs at all (autocast is on)."""
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
    """fp16: finite losses and weights, a GradScaler whose scale is in the trainer state (a resumed run
    continues with it) and loads back; the fp32 state has no scaler."""
    trainer, stats = run_steps(precision="fp16")
    for step in stats:
        assert all(np.isfinite(v) for v in step.values()), step
    assert all(torch.isfinite(p).all() for p in trainer.G.parameters())
    state = trainer.state_dict()
    assert state["scaler"]["scale"] == trainer.amp.scaler.get_scale() <= 65536.0
    other, _ = run_steps(precision="fp16")
    other.amp.scaler.update(3.0)                # a scale no run reaches (powers of two)
    other.load_state_dict(state)
    assert other.amp.scaler.get_scale() == state["scaler"]["scale"]
    assert "scaler" not in fp32_digan[0].state_dict()


def test_fp16_regularizer_passes_run_in_fp32():
    """The passes a penalty differentiates twice run in fp32 (under fp16 autocast, R1 was NaN at step 0)."""
    from vidsynth.training.precision import MixedPrecision

    x = torch.randn(2, 4)
    lin = torch.nn.Linear(4, 4)
    for precision, main, reg in (("fp16", torch.float16, torch.float32), ("bf16", torch.bfloat16, torch.float32),
                                 ("fp32", torch.float32, torch.float32)):
        amp = MixedPrecision(precision, "cpu")
        with amp.autocast():
            assert lin(x).dtype == main, precision
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
