"""``vidsynth app``: serve the app on this machine, offline.

Gradio is the optional extra ``vidsynth[app]``. Before it is imported, analytics and every other
call home are switched off (``GRADIO_ANALYTICS_ENABLED=False``, Hugging Face Hub offline, no
telemetry); the page uses system fonts only and no share link is ever made, so the app works with
the network closed. It binds to 127.0.0.1 unless ``--host`` says otherwise, and says so.
"""
from __future__ import annotations

import os
from pathlib import Path

import click

from vidsynth.errors import VidsynthError

OFFLINE_ENV = {
    "GRADIO_ANALYTICS_ENABLED": "False",     # no usage reports to api.gradio.app
    "HF_HUB_OFFLINE": "1",                   # huggingface_hub (a Gradio dependency) never connects
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "DO_NOT_TRACK": "1",
}
MISSING = ("`vidsynth app` needs Gradio, the optional extra 'app': pip install 'vidsynth[app]' "
           "(or: pip install gradio)")

EPILOG = """\b
Examples:
  vidsynth app runs/00000-digan-demo-scene              # a DIGAN run: time, zoom, motions, interpolation
  vidsynth app runs/00005-mocogan-hd-shapes             # a MoCoGAN-HD run: long videos, grids, PCA, prediction
  vidsynth app runs/                                    # browse all runs: metrics, curves, samples
  vidsynth app model/ --port 8080 --max-memory-gb 4     # an exported model folder
  vidsynth app RUN --host 0.0.0.0                       # reachable from your network (no authentication!)
"""


def require_gradio():
    """``import gradio`` with every call home switched off; a one-line error naming the extra if missing."""
    for key, value in OFFLINE_ENV.items():
        os.environ[key] = value
    try:
        import gradio
    except ImportError:
        raise VidsynthError(MISSING) from None
    return gradio


def serve(path: str | Path, host: str = "127.0.0.1", port: int = 7860, device: str = "cpu",
          max_memory_gb: float | None = None, out_dir: str | Path | None = None, block: bool = True):
    """Build the app for ``path`` and serve it on ``host:port``; returns the running ``gr.Blocks``."""
    from vidsynth.app.blocks import build_app
    from vidsynth.app.ui import CSS, theme

    gr = require_gradio()
    budget = int(max_memory_gb * 2 ** 30) if max_memory_gb else None
    app = build_app(path, device=device, budget_bytes=budget, out_dir=out_dir)
    allowed = [str(Path(path).resolve()), str(app.vidsynth_out_dir.resolve())]
    try:
        app.queue(default_concurrency_limit=1).launch(
            server_name=host, server_port=port, share=False, inbrowser=False, quiet=True, show_error=True,
            ssr_mode=False, pwa=False, mcp_server=False, enable_monitoring=False, allowed_paths=allowed,
            footer_links=[], theme=theme(), css=CSS, prevent_thread_lock=True)
    except OSError as e:
        raise VidsynthError(f"cannot serve on {host}:{port} ({e}); choose another --port") from None
    where = ("this machine only" if host in ("127.0.0.1", "localhost", "::1")
             else "every machine that can reach this one: there is no authentication")
    click.echo(f"vidsynth app: {Path(path)} at http://{'localhost' if host == '127.0.0.1' else host}:{port}/ "
               f"(bound to {host}: {where}; renders in {app.vidsynth_out_dir}). Ctrl+C stops it.")
    if block:
        try:
            app.block_thread()
        except KeyboardInterrupt:
            pass
        finally:
            app.close()
    return app


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
    serve(path, host, port, device, max_memory_gb, outdir)
