"""Which page to build for a path: a model (a run folder with ``model/`` or an exported model folder)
gets its family's tab -- plus a run tab when it is a run folder --, a folder of runs gets the run
browser. :func:`build_app` returns the ``gr.Blocks`` (not launched)."""
from __future__ import annotations

import tempfile
from pathlib import Path

from vidsynth.errors import VidsynthError


def is_model(path: Path) -> bool:
    """A run folder with an exported model, or an exported model folder."""
    return (path / "model" / "config.json").is_file() or (path / "model.safetensors").is_file()


def display_name(path: Path) -> str:
    """``00003-digan-shapes`` for a run folder, ``00003-digan-shapes/model`` for its exported model folder."""
    path = path.resolve()
    return f"{path.parent.name}/{path.name}" if path.name == "model" else path.name


def build_app(path: str | Path, device: str = "cpu", budget_bytes: int | None = None,
              out_dir: str | Path | None = None):
    """The app for ``path``; renders are written to ``out_dir`` (default: a new temporary folder)."""
    from vidsynth.app.offline import require_gradio

    gr = require_gradio()
    from vidsynth.app.outputs import OutputFolder
    from vidsynth.app.runs_tab import RunBrowser, build_runs_tab, find_runs

    path = Path(path).expanduser()
    if not path.is_dir():
        raise VidsynthError(f"'{path}' is not a folder: give a run folder, an exported model folder or a folder "
                            "of runs (e.g. runs/)")
    out_dir = Path(out_dir) if out_dir else Path(tempfile.mkdtemp(prefix="vidsynth-app-"))
    runs = find_runs(path)
    if not is_model(path) and not runs:
        raise VidsynthError(f"'{path}' holds no model and no runs: give a run folder (with model/), an exported "
                            "model folder (config.json + model.safetensors) or a folder of run folders")
    with gr.Blocks(title=f"vidsynth: {display_name(path)}", analytics_enabled=False) as app:
        gr.Markdown(f"# vidsynth &middot; {display_name(path)}")
        if is_model(path):
            _model_tabs(gr, path, device, budget_bytes, out_dir, OutputFolder)
            if runs == [path]:
                with gr.Tab("Run"):
                    build_runs_tab(gr, RunBrowser(path, out_dir))
        else:
            with gr.Tab("Runs"):
                build_runs_tab(gr, RunBrowser(path, out_dir))
    app.vidsynth_out_dir = out_dir
    return app


def _model_tabs(gr, path: Path, device: str, budget_bytes: int | None, out_dir: Path, OutputFolder) -> None:
    import vidsynth
    from vidsynth.app.limits import Limits
    from vidsynth.models.digan.sampler import DIGANSampler
    from vidsynth.models.mocogan_hd.sampler import MoCoGANHDSampler

    sampler = vidsynth.load(path, device=device)
    out = OutputFolder(out_dir, fps=sampler.fps)
    limits = Limits.for_sampler(sampler, budget_bytes)
    name = display_name(path)
    if isinstance(sampler, DIGANSampler):
        from vidsynth.app.digan_tab import DIGANExplorer, build_digan_tab

        with gr.Tab("DIGAN"):
            build_digan_tab(gr, DIGANExplorer(sampler, limits, limits.chunk), out, name)
    elif isinstance(sampler, MoCoGANHDSampler):
        from vidsynth.app.mocogan_tab import MoCoGANHDExplorer, build_mocogan_tab

        with gr.Tab("MoCoGAN-HD"):
            build_mocogan_tab(gr, MoCoGANHDExplorer(sampler, limits), out, name)
    else:
        raise VidsynthError(f"'{path}' holds an image generator ({type(sampler.generator).__name__}); the app "
                            "explores video models (DIGAN, MoCoGAN-HD): sample images with `vidsynth generate`")
