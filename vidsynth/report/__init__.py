"""Self-contained HTML report of a training run (``vidsynth report RUN``).

``write_report(run_dir, out=None)`` reads the run folder (``run_data``), draws the curves
(``plots``) and writes one HTML file with every video and image embedded as a base64 data URI
(``page``), so the file can be mailed or opened offline. ``callback.ReportCallback`` calls it at
each snapshot of ``vidsynth train``. See docs/report.md.
"""
from vidsynth.report.page import write_report
from vidsynth.utils.deprecation import moved_names

__all__ = ["write_report"]
__getattr__ = moved_names(__name__, {"report_command": "vidsynth.cli.report"})
