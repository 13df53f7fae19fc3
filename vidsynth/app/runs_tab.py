"""The run browser: the runs of a folder with their method, dataset, kimg and latest metrics; for
the selected run, its report's curves and its real and generated samples.

Everything is read by ``vidsynth.report`` (``run_data.load_run``, ``plots``): the same numbers
and pictures as ``vidsynth report RUN``, without writing anything into the run folder.
"""
from __future__ import annotations

from pathlib import Path

from vidsynth.app.ui import VIDEO_HEIGHT
from vidsynth.report import plots
from vidsynth.report.run_data import RunData, load_run
from vidsynth.training.run_dir import is_run_folder
from vidsynth.utils.files import atomic_write

COLUMNS = ["run", "method", "dataset", "kimg", "latest metrics", "model"]


def find_runs(root: str | Path) -> list[Path]:
    """``root`` itself if it is a run folder, else its sub-folders that are (sorted by name)."""
    root = Path(root)
    if is_run_folder(root):
        return [root]
    return sorted(p for p in root.iterdir() if is_run_folder(p)) if root.is_dir() else []


def _section(config: dict, key: str) -> dict:
    value = config.get(key)
    return value if isinstance(value, dict) else {}


def latest_metrics(run: RunData) -> dict[str, dict]:
    """``{metric: {"value", "kimg"}}``: the newest line of each metric."""
    latest: dict[str, dict] = {}
    for m in run.metrics:
        latest[m["metric"]] = m
    return latest


def trained_kimg(run: RunData) -> float:
    """The newest kimg of the run's stats, snapshots or sample grids (0 if none)."""
    values = [s["kimg"] for s in run.stats + run.snapshots if isinstance(s.get("kimg"), (int, float))]
    values += [k for k, _ in run.samples]
    return float(max(values, default=0.0))


def summary_row(run: RunData) -> list:
    """One table row: run, method, dataset, kimg, latest metrics, whether an exported model exists."""
    metrics = ", ".join(f"{name} {m['value']:.4g}" + (f" @{m['kimg']:g}" if m["kimg"] is not None else "")
                        for name, m in sorted(latest_metrics(run).items()))
    return [run.name, _section(run.config, "method").get("method", "?"), _section(run.config, "loop").get("data", "?"),
            round(trained_kimg(run), 3), metrics or "-", "yes" if (run.path / "model" / "config.json").is_file()
            else "no"]


def curve_pngs(run: RunData) -> list[tuple[bytes, str]]:
    """The report's curves as ``(png bytes, caption)``: losses, D outputs, each metric, speed."""
    figures = [(plots.loss_plot(run.stats), "losses"), (plots.d_output_plot(run.stats), "discriminator outputs")]
    figures += [(png, name) for name, png in plots.metric_plots(run.metrics).items()]
    figures.append((plots.speed_plot(run.stats), "seconds per kimg"))
    return [(png, caption) for png, caption in figures if png]


class RunBrowser:
    """The runs under ``root``; :meth:`details` writes a run's curves as pngs into ``out_dir``."""

    def __init__(self, root: str | Path, out_dir: str | Path):
        self.root, self.out_dir = Path(root), Path(out_dir)

    def runs(self) -> list[RunData]:
        out = []
        for path in find_runs(self.root):
            try:
                out.append(load_run(path))
            except (ValueError, OSError):          # an unreadable config.json: not listed
                continue
        return out

    def table(self) -> list[list]:
        return [summary_row(r) for r in self.runs()]

    def details(self, name: str) -> dict:
        """``{"curves": [(png path, caption)], "reals", "samples": mp4 paths or None, "metrics": markdown}``."""
        matches = [p for p in find_runs(self.root) if p.name == name]
        if not matches:
            raise ValueError(f"no run named {name!r} under '{self.root}'")
        run = load_run(matches[0])
        curves = []
        for i, (png, caption) in enumerate(curve_pngs(run)):
            path = self.out_dir / f"curves-{run.name}-{i}.png"
            atomic_write(path, lambda tmp, data=png: tmp.write_bytes(data))
            curves.append((str(path), caption))
        rows = [f"| {n} | {m['value']:.4g} | {m['kimg'] if m['kimg'] is not None else '-'} |"
                for n, m in sorted(latest_metrics(run).items())]
        metrics = ("| metric | value | kimg |\n|---|---|---|\n" + "\n".join(rows)) if rows else "No metrics yet."
        return {"curves": curves, "reals": str(run.reals) if run.reals else None,
                "samples": str(run.latest_sample) if run.latest_sample else None, "metrics": metrics,
                "kimg": trained_kimg(run), "path": str(run.path)}


def build_runs_tab(gr, browser: RunBrowser) -> None:
    """The run browser inside the current ``gr.Blocks`` (the newest run is shown first)."""
    rows = browser.table()
    names = [r[0] for r in rows]

    def show(name):
        if not name:
            return f"No run folders under `{browser.root}`.", None, None, []
        d = browser.details(name)
        return (f"**{name}**: {d['kimg']:g} kimg, `{d['path']}`\n\n{d['metrics']}", d["reals"], d["samples"],
                d["curves"])

    first = show(names[-1] if names else None)
    gr.Markdown(f"Runs under `{browser.root}`. Explore one run's model with `vidsynth app RUN`.")
    gr.Dataframe(rows or None, headers=COLUMNS, interactive=False, elem_id="runs-table")
    pick = gr.Dropdown(names, value=names[-1] if names else None, label="Run", elem_id="runs-pick")
    info = gr.Markdown(first[0], elem_id="runs-metrics")
    with gr.Row():
        reals = gr.Video(first[1], label="Real videos", height=VIDEO_HEIGHT, autoplay=True, loop=True,
                         interactive=False,
                         elem_id="runs-reals")
        samples = gr.Video(first[2], label="Generated (latest snapshot)", height=VIDEO_HEIGHT, autoplay=True, loop=True,
                           interactive=False, elem_id="runs-samples")
    curves = gr.Gallery(first[3], label="Curves (as in the run's report)", columns=2, object_fit="contain",
                        elem_id="runs-curves")
    pick.change(show, pick, [info, reals, samples, curves])
