"""HTML report content (no browser needed)."""
import base64
import re

from click.testing import CliRunner

from vidsynth.report import write_report
from vidsynth.report.run_data import load_run, normalise_metrics, timing_summary


def test_report_embeds_everything(run_dir):
    out = write_report(run_dir)
    assert out == run_dir / "report.html"
    page = out.read_text()
    assert "src=\"http" not in page and "src='http" not in page          # self-contained
    videos = re.findall(r'<source src="data:video/mp4;base64,([^"]+)"', page)
    assert len(videos) >= 3                                               # latest, reals, earlier snapshot
    assert base64.b64decode(videos[0])[4:8] == b"ftyp"                    # a real mp4
    assert "<video controls autoplay loop muted" in page
    assert 'src="data:image/gif;base64,' in page                         # gif fallback
    plots = re.findall(r'class="plot" src="data:image/png;base64,([^"]+)"', page)
    assert len(plots) >= 4                                                # losses, D outputs, fvd16, speed
    assert base64.b64decode(plots[0])[:8] == b"\x89PNG\r\n\x1a\n"
    for text in ("Real vs generated", "fvd16", "Timings", "kimg/s"):
        assert text in page


def test_report_shows_the_resolved_configuration(run_dir):
    """The Configuration section lists every option of config.json with its value, method and loop
    (a bare ``"lr" in page`` would also match base64 video data)."""
    page = write_report(run_dir).read_text()
    section = page[page.index("<h2>Configuration</h2>"):]
    for key, value in (("lr", "0.002"), ("resolution", "32"), ("frames", "8"), ("data", "builtin:shapes"),
                       ("kimg", "0.2"), ("seed", "0")):
        assert f'<tr><td>{key}</td><td class="num">{value}</td></tr>' in section or \
            f"<tr><td>{key}</td><td>{value}</td></tr>" in section, key
    assert '<details><summary>config.json</summary><pre>' in section and '&quot;world_size&quot;: 1' in section


def test_out_option_and_cli(run_dir, tmp_path):
    from vidsynth.cli import main

    target = tmp_path / "sub" / "r.html"
    res = CliRunner().invoke(main, ["report", str(run_dir), "--out", str(target)])
    assert res.exit_code == 0, res.output
    assert target.is_file() and str(target) in res.output


def test_run_data_parsing(run_dir):
    run = load_run(run_dir)
    assert len(run.stats) == 12                                           # torn line skipped
    assert [k for k, _ in run.samples] == [0.096, 0.192]
    t = timing_summary(run.stats)
    assert t["total_time_s"] == 120 and abs(t["kimg_per_s"] - 0.192 / 120) < 1e-12
    assert normalise_metrics([{"fvd": 1.0, "kvd": 2.0, "kimg": 3}]) == [
        {"metric": "fvd", "value": 1.0, "kimg": 3}, {"metric": "kvd", "value": 2.0, "kimg": 3}]


def test_report_of_a_fresh_run(tmp_path):
    """Only config.json yet (the loop calls write_report from its first snapshot on)."""
    run = tmp_path / "r"
    run.mkdir()
    (run / "config.json").write_text('{"method": {"method": "digan"}, "loop": {"data": "x"}}')
    page = write_report(run).read_text()
    assert "not available" in page and "No stats.jsonl" in page
