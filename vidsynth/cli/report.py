"""``vidsynth report RUN [--out FILE]``."""
from __future__ import annotations

import click


@click.command("report", epilog="""\b
Examples:
  vidsynth report runs/00003-digan-ucf                    # writes runs/00003-digan-ucf/report.html
  vidsynth report runs/00003-digan-ucf --out ucf.html     # a single self-contained file to share
""")
@click.argument("run", type=click.Path(exists=True, file_okay=False))
@click.option("--out", type=click.Path(dir_okay=False), default=None,
              help="HTML file to write (default: RUN/report.html).")
def report_command(run, out):
    """Write a self-contained HTML report of training run RUN: sample videos, real vs generated,
    loss and metric curves, timings and the resolved config (one file, opens offline)."""
    from vidsynth.report.page import write_report

    click.echo(str(write_report(run, out)))
