"""The demo end to end with a very small budget: files exist and the summary is measured."""
import json

from click.testing import CliRunner

from vidsynth.cli import main
from vidsynth.demo.stats import video_statistics


def test_demo_writes_videos_and_summary(tmp_path):
    res = CliRunner().invoke(main, ["demo", "--minutes", "0.5", "--outdir", str(tmp_path), "--quiet",
                                    "--device", "cpu"], catch_exceptions=False)
    assert res.exit_code == 0, res.output
    assert "motion" in res.output and "generated" in res.output
    run = next(tmp_path.iterdir())
    summary = json.loads((run / "demo_summary.json").read_text())
    for key in ("samples_mp4", "samples_gif", "real_vs_generated_mp4", "real_vs_generated_png"):
        assert (run / summary["files"][key].split("/")[-1]).is_file()
    assert (run / "report.html").is_file()     # the demo's run has the report `vidsynth train` writes
    assert summary["steps"] > 0 and summary["seconds"] < 90
    assert summary["real"]["motion"] > 0.5      # the built-in data moves


def test_video_statistics_measure_motion_and_colour():
    import torch

    still = torch.zeros(2, 3, 4, 8, 8)
    moving = torch.zeros(2, 3, 4, 8, 8)
    moving[:, :, 1::2] = 1.0                        # flicker between mid-grey and white
    assert video_statistics(still)["motion"] == 0
    assert video_statistics(moving)["motion"] > 100
    assert video_statistics(still)["rgb_mean"] == [127.5, 127.5, 127.5]
