"""CLI paths: train stylegan2 and mocogan-hd, then every ``vidsynth mocogan`` command."""
from __future__ import annotations

import json

from click.testing import CliRunner

from vidsynth.cli import main

COMMON = ["--preset", "test", "--data", "builtin:shapes", "--quiet", "--device", "cpu", "--workers", "0",
          "--snapshot-kimg", "0"]


def _invoke(args):
    result = CliRunner().invoke(main, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_train_commands(tmp_path, image_run):
    out = _invoke(["train", "--method", "stylegan2", "--kimg", "0.004", "--outdir", str(tmp_path), *COMMON])
    assert "stylegan2" in out
    out = _invoke(["train", "--method", "mocogan-hd", "--image-generator", str(image_run), "--cross-domain",
                   "--kimg", "0.002", "--outdir", str(tmp_path), *COMMON])
    run = next(p for p in tmp_path.iterdir() if "mocogan-hd" in p.name)
    cfg = json.loads((run / "config.json").read_text())["method"]
    assert cfg["cross_domain"] is True and cfg["image_generator"] == str(image_run)
    shown = _invoke(["train", "--method", "mocogan-hd", "--preset", "tiny", "--show-config"])
    assert '"stride": 2' in shown


def test_mocogan_commands(tmp_path, video_run):
    m = str(video_run)
    _invoke(["mocogan", "long", m, "--n", "2", "--frames", "6", "--out", str(tmp_path / "long.mp4")])
    _invoke(["mocogan", "interpolate", m, "--n", "1", "--frames", "3", "--out", str(tmp_path / "i.gif")])
    _invoke(["mocogan", "content-motion", m, "--contents", "2", "--motions", "2", "--frames", "3",
             "--out", str(tmp_path / "cm.mp4")])
    _invoke(["mocogan", "pca-explore", m, "--components", "0,1", "--frames", "3", "--out", str(tmp_path / "p.mp4")])
    out = _invoke(["mocogan", "diversity", m, "--contents", "1", "--motions", "2", "--frames", "3",
                   "--out", str(tmp_path / "d.png")])
    assert "motion_diversity" in out
    _invoke(["mocogan", "predict", m, "--data", "builtin:shapes", "--index", "1", "--frames", "3", "--motions", "2",
             "--steps", "2", "--out", str(tmp_path / "pred.mp4"), "--json", str(tmp_path / "pred.json")])
    scores = json.loads((tmp_path / "pred.json").read_text())
    assert len(scores["psnr_per_frame"]) == 3
    for name in ("long.mp4", "long.png", "i.gif", "cm.mp4", "p.mp4", "d.png", "pred.mp4", "pred.png"):
        assert (tmp_path / name).exists(), name


def test_mocogan_commands_keep_a_fractional_frame_rate(tmp_path, video_run):
    """``vidsynth mocogan * --fps 29.97`` writes the exact NTSC rate 30000/1001, not 29 or 30."""
    from fractions import Fraction

    import av

    _invoke(["mocogan", "long", str(video_run), "--n", "1", "--frames", "4", "--fps", "29.97",
             "--out", str(tmp_path / "ntsc.mp4")])
    with av.open(str(tmp_path / "ntsc.mp4")) as container:
        assert Fraction(container.streams.video[0].average_rate) == Fraction(30000, 1001)


def test_generate_command_samples_mocogan_runs(tmp_path, video_run):
    _invoke(["generate", str(video_run), "--n", "2", "--frames", "6", "--out", str(tmp_path / "g.mp4")])
    assert list(tmp_path.iterdir())


def test_metrics_command_on_mocogan_runs(video_run):
    out = _invoke(["metrics", "--metrics", "acd4_4f", "--acd-features", "mean_color", "--fake", str(video_run),
                   "--device", "cpu"])
    assert "acd4_4f" in out


def test_mocogan_refuses_other_models(image_run, monkeypatch, capsys):
    """An image-generator run given to `vidsynth mocogan` is a user error: exit code 2 and one line naming
    the folder and what it holds (a crash inside the app would also exit non-zero, with a traceback)."""
    import sys

    from vidsynth.cli import run

    monkeypatch.setattr(sys, "argv", ["vidsynth", "mocogan", "long", str(image_run)])
    try:
        run()
    except SystemExit as e:
        code = e.code
    else:
        code = 0
    err = capsys.readouterr().err.strip()
    assert code == 2, err
    assert err.startswith(f"Error: '{image_run}' is not a MoCoGAN-HD model (it holds a StyleGAN2Generator)"), err
    assert "\n" not in err and "Traceback" not in err
