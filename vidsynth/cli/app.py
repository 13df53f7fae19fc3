"""``vidsynth app PATH``: explore a model or browse runs in a local, offline web app
(``vidsynth.app.server.serve``; Gradio is the optional extra ``vidsynth[app]``)."""
from __future__ import annotations

import click

EPILOG = """\b
Examples:
  vidsynth app runs/00000-digan-demo-scene              # a DIGAN run: time, zoom, motions, interpolation
  vidsynth app runs/00005-mocogan-hd-shapes             # a MoCoGAN-HD run: long videos, grids, PCA, prediction
  vidsynth app runs/                                    # browse all runs: metrics, curves, samples
  vidsynth app model/ --port 8080 --max-memory-gb 4     # an exported model folder
  vidsynth app RUN --host 0.0.0.0                       # reachable from your network (no authentication!)
"""


@click.command("app", epilog=EPILOG, context_settings={"show_default": True})
@click.argument("path", type=click.Path(exists=True, file_okay=False))
@click.option("--port", type=click.IntRange(1, 65535), default=7860, help="Port to serve on.")
@click.option("--host", default="127.0.0.1", help="Address to bind: 127.0.0.1 serves this machine only.")
@click.option("--device", default="auto", help="auto, cpu, cuda ...")
@click.option("--max-memory-gb", type=click.FloatRange(min=0, min_open=True), default=None,
              help="Refuse renders that would need more memory. [default: half of the RAM]")
@click.option("--outdir", type=click.Path(file_okay=False), default=None,
              help="Where renders are written. [default: a new temporary folder]")
def app_command(path, port, host, device, max_memory_gb, outdir):
    """Explore a trained model (or browse a folder of runs) in a local web app (Gradio; offline)."""
    from vidsynth.app.server import serve

    serve(path, host, port, device, max_memory_gb, outdir)
