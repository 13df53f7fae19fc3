"""Serve the app on this machine, offline (``vidsynth app``, the command in ``vidsynth.cli.app``).

Gradio is the optional extra ``vidsynth[app]``. Before it is imported, analytics and every other
call home are switched off (``GRADIO_ANALYTICS_ENABLED=False``, Hugging Face Hub offline, no
telemetry); the page uses system fonts only and no share link is ever made, so the app works with
the network closed. It binds to 127.0.0.1 unless ``--host`` says otherwise, and says so.
"""
from __future__ import annotations

from pathlib import Path

import click

from vidsynth.app.offline import require_gradio
from vidsynth.errors import VidsynthError
from vidsynth.utils.deprecation import moved_names

__getattr__ = moved_names(__name__, {"app_command": "vidsynth.cli.app"})  # the command moved to vidsynth/cli/

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
