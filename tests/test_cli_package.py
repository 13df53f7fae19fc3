"""The ``vidsynth/cli/`` package: one thin module per command, none of which imports torch when
loaded (so ``vidsynth --help`` and ``vidsynth X --help`` stay fast), one-line warnings for all of
vidsynth's code, and the names that left ``vidsynth.demo`` / ``report`` / ``app.server`` still resolve
for one release with a DeprecationWarning."""
import json
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

from vidsynth.cli import COMMANDS

ROOT = Path(__file__).resolve().parents[1]


def test_every_command_lives_in_the_cli_package():
    outside = {name: target for name, target in COMMANDS.items()
               if not target.startswith(f"vidsynth.cli.{name}:")}
    assert not outside, f"commands outside vidsynth/cli/<name>.py: {outside}"


def _torch_free(code: str) -> list[str]:
    """Run ``code`` in a fresh interpreter; the heavy modules it left in ``sys.modules``."""
    probe = code + "\nimport json, sys\nprint(json.dumps([m for m in ('torch', 'numpy', 'av') if m in sys.modules]))"
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.splitlines()[-1])


def test_top_level_help_imports_no_torch():
    code = ("import sys\nfrom vidsynth.cli import main\n"
            "try:\n    main(['--help'], standalone_mode=False)\nexcept SystemExit:\n    pass")
    assert _torch_free(code) == []


def test_top_level_help_imports_no_command_module():
    """``vidsynth --help`` lists the commands from the HELP table: no command module is imported (each
    is imported only when its command runs, which keeps the listing instant as commands grow)."""
    code = ("import json, sys\nfrom vidsynth.cli import main\n"
            "try:\n    main(['--help'], standalone_mode=False)\nexcept SystemExit:\n    pass\n"
            "print(json.dumps(sorted(m for m in sys.modules if m.startswith('vidsynth.cli.'))))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert json.loads(out.stdout.splitlines()[-1]) == []


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_each_command_module_loads_without_torch(name):
    """A command module only parses and prints: the library it calls is imported inside the command."""
    module = COMMANDS[name].split(":")[0]
    assert _torch_free(f"import {module}") == []


def test_warnings_from_any_vidsynth_module_print_as_one_line(capsys):
    """``run`` shortens warnings raised anywhere in vidsynth/ (the data loader's skipped files
    above all), not only in vidsynth/cli/; other packages keep Python's format."""
    from vidsynth.cli import _short_warnings

    saved, passed_on = warnings.showwarning, []
    try:
        warnings.showwarning = lambda message, *args, **kwargs: passed_on.append(str(message))  # "the default"
        _short_warnings()
        warnings.showwarning("skipping 'a.mp4'", UserWarning, str(ROOT / "vidsynth" / "data" / "clips.py"), 183)
        warnings.showwarning("elsewhere", UserWarning, "/usr/lib/python3/other.py", 7)
    finally:
        warnings.showwarning = saved
    assert capsys.readouterr().err == "warning: skipping 'a.mp4'\n"
    assert passed_on == ["elsewhere"]


@pytest.mark.parametrize("old, name, new", [
    ("vidsynth.demo", "video_statistics", "vidsynth.demo.stats"),
    ("vidsynth.demo", "run_digan_demo", "vidsynth.demo.digan"),
    ("vidsynth.demo", "demo_command", "vidsynth.cli.demo"),
    ("vidsynth.report", "report_command", "vidsynth.cli.report"),
    ("vidsynth.app.server", "app_command", "vidsynth.cli.app"),
])
def test_moved_names_warn_and_resolve(old, name, new):
    import importlib

    with pytest.warns(DeprecationWarning, match=rf"{old}\.{name} moved to {new}\.{name}") as record:
        obj = getattr(importlib.import_module(old), name)
    assert obj is getattr(importlib.import_module(new), name)
    assert record[0].filename == __file__  # the warning points at the user's line
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        getattr(importlib.import_module(old), "nothing")


def test_demo_package_itself_does_not_warn():
    code = ("import warnings\nwarnings.simplefilter('error')\n"
            "import vidsynth.demo, vidsynth.demo.stats, vidsynth.demo.digan, vidsynth.demo.mocogan_hd, vidsynth.report")
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)


SUMMARY = {"real": {"motion": 12.5, "temporal_std": 9.1, "rgb_mean": [1.0, 2.0, 3.0], "rgb_std": [4.0, 5.0, 6.0]},
           "generated": {"motion": 3.25, "temporal_std": 2.0, "rgb_mean": [7.0, 8.0, 9.0],
                         "rgb_std": [0.5, 0.5, 0.5]},
           "kimg": 1.25, "steps": 40, "seconds": 61.4, "data": "builtin:scene", "run": "runs/00000-demo-scene",
           "files": {"samples_mp4": "runs/00000-demo-scene/demo-samples.mp4"}}
ROWS = [
    "statistic (0..255 units)                                   real            generated",
    "mean |frame(t+1) - frame(t)| (motion)                      12.5                 3.25",
    "per-pixel std over time                                     9.1                  2.0",
    "colour mean R,G,B                               [1.0, 2.0, 3.0]      [7.0, 8.0, 9.0]",
    "colour std R,G,B                                [4.0, 5.0, 6.0]      [0.5, 0.5, 0.5]",
]


def test_both_demo_summaries_print_real_beside_generated():
    from vidsynth.demo.digan import format_summary
    from vidsynth.demo.mocogan_hd import format_mocogan_summary

    digan = format_summary(SUMMARY).splitlines()
    assert digan[0] == "Trained 1.2 kimg (40 steps) in 61 s on builtin:scene."
    assert digan[2:7] == ROWS
    assert digan[-2:] == ["  samples_mp4              runs/00000-demo-scene/demo-samples.mp4",
                          "  run folder               runs/00000-demo-scene"]
    mocogan = format_mocogan_summary({**SUMMARY, "image_kimg": 0.5, "image_steps": 10, "long_motion": 4.0,
                                      "motion_diversity": 0.01, "image_run": "runs/i"}).splitlines()
    assert mocogan[2:7] == ROWS
    assert mocogan[7].startswith("motion of the 48-frame unrolled videos: 4.0;")
