"""``vidsynth generate`` modes and ``vidsynth predict`` end to end on a 2-step run."""
import json

import av
import numpy as np

from tests.apps.conftest import invoke


def _frames(path):
    with av.open(str(path)) as c:
        return sum(1 for _ in c.decode(video=0))


def test_help_lists_predict_and_modes():
    assert "predict" in invoke(["--help"]).output
    out = invoke(["generate", "--help"]).output
    for mode in ("interpolate-time", "extrapolate-time", "upsample", "zoom-out", "long", "diverse-motion", "swap",
                 "interpolate-latent"):
        assert mode in out


def test_generate_sample_is_deterministic(tiny_run, tmp_path):
    invoke(["generate", tiny_run, "--n", "3", "--frames", "5", "--seed", "1", "--out", str(tmp_path / "a.npz")])
    invoke(["generate", tiny_run, "--n", "3", "--frames", "5", "--seed", "1", "--out", str(tmp_path / "b.npz"),
            "--mode", "times", "--times", "0:1.3333333:5"])           # the same times through the apps path
    a, b = np.load(tmp_path / "a.npz")["videos"], np.load(tmp_path / "b.npz")["videos"]
    assert a.shape == (3, 5, 16, 16, 3) and np.abs(a.astype(int) - b.astype(int)).max() <= 1
    invoke(["generate", tiny_run, "--n", "2", "--out", str(tmp_path / "each"), "--format", "gif"])
    assert sorted(p.name for p in (tmp_path / "each").iterdir()) == ["video0000.gif", "video0001.gif"]


def test_generate_modes(tiny_run, tmp_path):
    def gen(*args):
        out = tmp_path / f"{len(list(tmp_path.iterdir()))}.npz"
        invoke(["generate", tiny_run, "--n", "2", "--out", str(out), *args])
        return np.load(out)["videos"]                                  # [N, T, H, W, 3]

    assert gen("--times", "0,0.5,1.7,-0.3").shape == (2, 4, 16, 16, 3)
    assert gen("--mode", "interpolate-time", "--factor", "4").shape[1] == 13      # 4 training frames
    assert gen("--mode", "extrapolate-time", "--factor", "4").shape[1] == 16
    assert gen("--mode", "upsample", "--scale", "4", "--frames", "2").shape == (2, 2, 64, 64, 3)
    assert gen("--mode", "zoom-out", "--range", "-0.25", "1.25", "--scale", "1.5").shape[2] == 24
    assert gen("--mode", "diverse-motion", "--n", "3").shape[0] == 3
    assert gen("--mode", "swap", "--contents", "2", "--motions", "3").shape[0] == 6
    assert gen("--mode", "interpolate-latent", "--steps", "3").shape[0] == 3
    assert gen("--mode", "morph", "--frames", "6").shape == (1, 6, 16, 16, 3)
    invoke(["generate", tiny_run, "--mode", "swap", "--out", str(tmp_path / "swap.mp4"), "--preview"])
    assert (tmp_path / "swap.png").is_file()


def test_generate_long_streams_to_mp4(tiny_run, tmp_path):
    out = tmp_path / "long.mp4"
    invoke(["generate", tiny_run, "--mode", "long", "--frames", "130", "--chunk", "32", "--out", str(out)])
    assert _frames(out) == 130
    invoke(["generate", tiny_run, "--mode", "long", "--n", "2", "--frames", "20", "--out", str(tmp_path / "each")])
    assert _frames(tmp_path / "each" / "video0001.mp4") == 20


def test_predict_command(tiny_run, tmp_path):
    result = invoke(["predict", tiny_run, "--frames-from", "builtin:shapes", "--given", "0-2", "--predict", "3,4",
                     "--steps", "5", "--out", str(tmp_path / "p"), "--quiet"])
    assert "Baseline" in result.output
    report = json.loads((tmp_path / "p" / "results.json").read_text())
    assert {"prediction", "baseline_nearest_given", "given_fit", "per_frame"} <= set(report)
    assert set(report["prediction"]) == {"psnr", "ssim"}
    assert list(report)[:11] == ["run", "source", "video_index", "given", "predict", "train_frames", "mode", "steps",
                                 "perceptual", "perceptual_weight", "final_loss"]     # results.json's documented head
    assert (report["run"], report["source"], report["given"], report["predict"], report["mode"], report["steps"]) == (
        tiny_run, "builtin:shapes", [0, 1, 2], [3, 4], "w", 5)
    for name in ("comparison.mp4", "comparison.png", "predicted.mp4", "latents.npz"):
        assert (tmp_path / "p" / name).is_file()


def test_generate_zoom_out_renders_the_requested_range(tiny_run, tmp_path):
    """``--mode zoom-out --range LO HI`` renders [LO, HI]^2 of the coordinate space: the training view
    [0, 1]^2 sits inside it exactly (pixel box from apps/digan/space_resample.py), so the centre of a
    [-0.25, 1.25] zoom at scale 1.5 is the plain 16 px video, and another range gives another picture."""
    from vidsynth.apps.digan.space_resample import training_view_box

    def gen(name, *args):
        invoke(["generate", tiny_run, "--n", "2", "--frames", "3", "--seed", "3", "--out", str(tmp_path / name), *args])
        return np.load(tmp_path / name)["videos"].astype(int)                 # [N, T, H, W, 3] uint8

    plain = gen("plain.npz")
    wide = gen("wide.npz", "--mode", "zoom-out", "--range", "-0.25", "1.25", "--scale", "1.5")
    lo, hi = training_view_box(24, (-0.25, 1.25))
    assert wide.shape == (2, 3, 24, 24, 3) and (lo, hi) == (4, 20)
    assert np.abs(wide[:, :, lo:hi, lo:hi] - plain).max() <= 1               # uint8 rounding of equal floats
    other = gen("other.npz", "--mode", "zoom-out", "--range", "-0.5", "1.0", "--scale", "1.5")
    assert np.abs(other - wide).mean() > 5                                    # the range is honoured
