"""A time-budgeted run's bar counts minutes out of the budget and shows kimg done, never a sentinel target."""
import io

from vidsynth.training.progress import UNLIMITED_KIMG, TrainingProgress

from .conftest import loop_config


def _bar(kimg, minutes, nimg, elapsed_s):
    p = TrainingProgress(kimg, minutes, 0, desc="digan", file=io.StringIO())
    p.update(nimg, now=p.start + elapsed_s)
    p.postfix({"G": "1.234"})
    return str(p.bar)


def test_time_budget_bar_shows_minutes_and_kimg_done():
    text = _bar(UNLIMITED_KIMG, 2.0, 800, 30)
    assert "0.5/2.0 min" in text and "kimg=0.800" in text and "G=1.234" in text
    assert "1000000" not in text and "1e+06" not in text
    assert "25%" in text
    assert text.endswith("| 0.5/2.0 min, kimg=0.800, G=1.234"), text   # no "[, kimg" (tqdm's ", " prefix)


def test_time_budget_with_a_real_kimg_target_shows_both():
    assert "kimg=0.800/500" in _bar(500, 2.0, 800, 30)


def test_time_budget_bar_stops_at_the_budget():
    assert "2.0/2.0 min" in _bar(UNLIMITED_KIMG, 2.0, 800, 600)


def test_kimg_bar_without_a_time_budget():
    text = _bar(1.0, 0.0, 250, 30)
    assert "0.250/1.000 kimg" in text and "min" not in text.split("kimg")[0]


def test_demo_style_run_prints_a_time_bar(tmp_path, capsys):
    from vidsynth.config import method_config
    from vidsynth.training.loop import train

    train(method_config("digan", "test"), loop_config(kimg=UNLIMITED_KIMG, minutes=0.01, log="none"),
          outdir=tmp_path, progress=True)
    err = capsys.readouterr().err
    assert "/0.0 min" in err and "kimg=" in err and "1000000" not in err


def test_kimg_bar_ends_exactly_at_its_total():
    """1000 steps of 16 images reach 16 kimg exactly: summing rounded steps overshot (16.000000000000004) and
    tqdm printed a "clamping frac to range [0, 1]" warning into the training log; a run that ends past its
    target (the last batch) stops at the total too."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        p = TrainingProgress(16.0, 0.0, 0, desc="digan", file=io.StringIO())
        for step in range(1, 1001):
            p.update(16 * step)
        assert p.bar.n == 16.0
        assert "16.000/16.000 kimg" in str(p.bar)
        p.update(16_008)
        assert p.bar.n == 16.0
        p.close()


def test_kimg_bar_resumes_from_its_start():
    p = TrainingProgress(2.0, 0.0, 1_000, desc="digan", file=io.StringIO())
    assert p.bar.n == 1.0
    p.update(1_500)
    assert "1.500/2.000 kimg" in str(p.bar)
