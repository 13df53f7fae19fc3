"""Self-contained HTML report of a training run (``vidsynth report RUN``).

``write_report(run_dir, out=None)`` reads the run folder (``run_data``), draws the curves
(``plots``) and writes one HTML file with every video and image embedded as a base64 data URI
(``page``), so the file can be mailed or opened offline. The training loop calls it at each
snapshot. See docs/report.md.
"""
from vidsynth.report.cli import report_command
from vidsynth.report.page import write_report

__all__ = ["write_report", "report_command"]
