"""The HTML page: one self-contained file, every video and image inlined as a base64 data URI.

Videos are ``<video controls autoplay loop muted>`` playing the H.264 mp4; where the browser cannot
play it (no H.264 decoder, or no ``<video>`` at all) the run's gif is shown instead.
"""
from __future__ import annotations

import base64
import html
import json
import os
import time
from pathlib import Path

from vidsynth.report import plots
from vidsynth.report.run_data import RunData, load_run, timing_summary
from vidsynth.utils.files import atomic_write_text

MAX_EARLIER_SNAPSHOTS = 4      # earlier sample videos embedded besides the latest (keeps the file small)
MAX_TICK_ROWS = 30

STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1200px; color: #222; padding: 0 1em; }
h1 { font-size: 1.5em; } h2 { border-bottom: 1px solid #ddd; padding-bottom: .2em; margin-top: 1.6em; }
.row { display: flex; flex-wrap: wrap; gap: 1.5em; align-items: flex-start; }
figure { margin: 0; } figcaption { font-size: .85em; color: #555; text-align: center; }
video, img.media { min-width: 256px; max-width: 100%; image-rendering: pixelated; background: #000; }
img.plot { max-width: 100%; }
table { border-collapse: collapse; font-size: .9em; } td, th { border: 1px solid #ddd; padding: .25em .6em; }
th { background: #f4f4f4; text-align: left; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
pre { background: #f7f7f7; padding: 1em; overflow: auto; font-size: .8em; }
.muted { color: #777; }
"""

# Show the gif where the mp4 cannot play (a browser without an H.264 decoder).
FALLBACK_SCRIPT = """
document.querySelectorAll('video[data-fallback]').forEach(function (v) {
  function useGif() {
    var img = document.getElementById(v.dataset.fallback);
    if (img) { img.hidden = false; v.hidden = true; }
  }
  var src = v.querySelector('source');
  if (src) src.addEventListener('error', useGif);
  v.addEventListener('error', useGif);
  if (!v.canPlayType('video/mp4')) useGif();
});
"""


def data_uri(path_or_bytes: Path | bytes, mime: str) -> str:
    raw = path_or_bytes if isinstance(path_or_bytes, bytes) else Path(path_or_bytes).read_bytes()
    return f"data:{mime};base64,{base64.b64encode(raw).decode('ascii')}"


class _Ids:
    def __init__(self):
        self.n = 0

    def __call__(self, prefix: str) -> str:
        self.n += 1
        return f"{prefix}{self.n}"


def video_figure(mp4: Path | None, caption: str, ids: _Ids, gif: Path | None = None) -> str:
    """A playable video (mp4 data URI) with the gif as fallback; just the gif when there is no mp4."""
    esc = html.escape(caption)
    if mp4 is None and gif is None:
        return f'<figure><p class="muted">({esc}: not available)</p></figure>'
    if mp4 is None:
        return (f'<figure><img class="media" src="{data_uri(gif, "image/gif")}" alt="{esc}">'
                f'<figcaption>{esc}</figcaption></figure>')
    fid = ids("fallback")
    gif_tag = (f'<img class="media" id="{fid}" hidden src="{data_uri(gif, "image/gif")}" alt="{esc}">'
               if gif is not None else "")
    return (f'<figure><video controls autoplay loop muted playsinline data-fallback="{fid}" title="{esc}">'
            f'<source src="{data_uri(mp4, "video/mp4")}" type="video/mp4">{gif_tag and "Video not supported."}'
            f'</video>{gif_tag}<figcaption>{esc}</figcaption></figure>')


def image_figure(png: bytes | None, caption: str) -> str:
    if png is None:
        return ""
    esc = html.escape(caption)
    return (f'<figure><img class="plot" src="{data_uri(png, "image/png")}" alt="{esc}">'
            f'<figcaption>{esc}</figcaption></figure>')


def table(headers: list[str], rows: list[list]) -> str:
    def cell(v):
        if isinstance(v, float):
            return f'<td class="num">{v:.4g}</td>'
        if isinstance(v, int):
            return f'<td class="num">{v}</td>'
        return f"<td>{html.escape(str(v))}</td>"
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(cell(v) for v in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _fmt_duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    h, rem = divmod(int(seconds), 3600)
    m, s = divmod(rem, 60)
    return f"{h}h {m:02d}m {s:02d}s" if h else f"{m}m {s:02d}s"


def _samples_section(run: RunData, ids: _Ids) -> str:
    latest_kimg = run.samples[-1][0] if run.samples else None
    caption = f"generated, {latest_kimg:g} kimg" if latest_kimg is not None else "generated (latest)"
    parts = ["<h2>Samples</h2>", '<div class="row">',
             video_figure(run.latest_sample, caption, ids, run.latest_gif), "</div>",
             "<h2>Real vs generated</h2>", '<div class="row">',
             video_figure(run.reals, "real videos (reals.mp4)", ids),
             video_figure(run.latest_sample, caption, ids, run.latest_gif), "</div>"]
    earlier = run.samples[:-1]
    if earlier:
        step = max(1, len(earlier) // MAX_EARLIER_SNAPSHOTS)
        chosen = earlier[::step][-MAX_EARLIER_SNAPSHOTS:]
        parts += [f"<details><summary>Earlier snapshots ({len(chosen)} of {len(earlier)})</summary>",
                  '<div class="row">']
        parts += [video_figure(p, f"{k:g} kimg", ids) for k, p in chosen]
        parts += ["</div></details>"]
    return "\n".join(parts)


def _curves_section(run: RunData) -> str:
    figs = [image_figure(plots.loss_plot(run.stats), "losses (per tick means)"),
            image_figure(plots.d_output_plot(run.stats), "discriminator outputs")]
    figs += [image_figure(png, f"{name}") for name, png in plots.metric_plots(run.metrics).items()]
    figs = [f for f in figs if f]
    if not figs:
        return '<h2>Curves</h2><p class="muted">No stats.jsonl or metrics.jsonl yet.</p>'
    out = ["<h2>Curves</h2>", '<div class="row">', *figs, "</div>"]
    if run.metrics:
        latest: dict[str, dict] = {}
        for m in run.metrics:
            latest[m["metric"]] = m
        rows = [[name, m["value"], m["kimg"] if m["kimg"] is not None else "-"] for name, m in sorted(latest.items())]
        out += ["<h3>Latest metrics</h3>", table(["metric", "value", "kimg"], rows)]
    return "\n".join(out)


def _learning_section(run: RunData) -> str:
    """The learning curve of ``vidsynth bench --measure learning`` (``learning.json``), if the run has one."""
    path = run.path / "learning.json"
    if not path.is_file():
        return ""
    try:
        result = json.loads(path.read_text())
    except (OSError, ValueError):
        return '<h2>Learning curve</h2><p class="muted">learning.json is unreadable.</p>'
    rows = [[f"baseline {name}", b.get("fvd"), b.get("kvd"), "-"] for name, b in result.get("baselines", {}).items()]
    rows += [[f"minute {p['minutes']:g}", p["fvd"], p["kvd"], p["kimg"]] for p in result.get("curve", [])]
    return "\n".join(["<h2>Learning curve</h2>",
                      f"<p>{html.escape(str(result.get('summary', '')))} ({html.escape(str(result.get('status', '')))})</p>",
                      '<div class="row">', image_figure(plots.learning_plot(result), "FVD / KVD over training minutes"),
                      table(["", "FVD", "KVD", "kimg"], rows), "</div>"] + _frame_paragraphs(result))


def _frame_paragraphs(result: dict) -> list[str]:
    """MoCoGAN-HD's per-frame results in ``learning.json`` (bench/frame_curve.py): the image stage's checks and
    why it stopped, the unrolled trajectory's verdict, and whether the videos move differently."""
    out = []
    stage, f = result.get("image_stage") or {}, result.get("frame_fid") or {}
    if stage.get("checks"):
        checks = ", ".join(f"{c['share']:.0%}: {c['fid']:.1f}" for c in stage["checks"])
        out.append(f"<p>Image generator, per-frame FID by share of the budget: {html.escape(checks)}; stops at "
                   f"{stage.get('share', 0):.0%} ({html.escape(str(stage.get('reason')))}).</p>")
        if all(c.get("held_still_fvd") is not None for c in stage["checks"]):
            still = ", ".join(f"{c['share']:.0%}: {c['held_still_fvd']:.1f}" for c in stage["checks"])
            out.append(f"<p>Image generator held still (FVD of its images repeated, as the static baseline): "
                       f"{html.escape(still)}.</p>")
    if stage.get("handoff"):
        h = stage["handoff"]
        out.append(f"<p>The motion generator trains on the image snapshot at {h['share']:.0%} "
                   f"({html.escape(str(h['model']))}; lowest {html.escape(h['by'])}: {h['value']:.1f}).</p>")
    if "margin" in f:
        unrolled = "-" if f.get("unrolled_ratio") is None else f"{f['unrolled_ratio']:.2f}"
        out.append(f"<p>Trajectory over {f['frames']} frames ({f['train_frames']} trained): mean per-frame FID "
                   f"x{f['trained_ratio']:.2f} (trained frames) and x{unrolled} (unrolled) of frame 0's; noise "
                   f"margin {f['margin']:.0%}: {'on' if f['on_manifold'] else 'OFF'} the image manifold.</p>")
    if result.get("motion_diversity"):
        from vidsynth.models.mocogan_hd.motion_diversity import describe

        m = result["motion_diversity"]
        out.append(f"<p>Latent motion over {m['frames']} frames of {m['clips']} videos: {html.escape(describe(m))}.</p>")
    return out


def _timing_section(run: RunData) -> str:
    summary = timing_summary(run.stats)
    if not summary:
        return '<h2>Timings</h2><p class="muted">No stats.jsonl yet.</p>'
    rows = [["total training time", _fmt_duration(summary["total_time_s"])],
            ["kimg trained", summary["kimg"]], ["steps", summary["steps"]],
            ["kimg/s (overall)", summary["kimg_per_s"] if summary["kimg_per_s"] is not None else "-"],
            ["median s/kimg (per tick)", summary["median_sec_per_kimg"] or "-"], ["ticks", summary["ticks"]]]
    if "peak_mem_gb" in summary:
        rows.append(["peak GPU memory (GB)", summary["peak_mem_gb"]])
    ticks = run.stats[-MAX_TICK_ROWS:]
    tick_rows = [[s.get("step", "-"), s.get("kimg", "-"), _fmt_duration(s.get("time")), s.get("sec_per_kimg", "-")]
                 + [s.get(k, "-") for k in _loss_keys(run.stats)] for s in ticks]
    speed = image_figure(plots.speed_plot(run.stats), "seconds per kimg")
    return "\n".join(["<h2>Timings</h2>", '<div class="row">', table(["", "value"], rows), speed, "</div>",
                      f"<details><summary>Per tick (last {len(ticks)} of {len(run.stats)})</summary>",
                      table(["step", "kimg", "time", "s/kimg", *_loss_keys(run.stats)], tick_rows), "</details>"])


def _loss_keys(stats: list[dict]) -> list[str]:
    return sorted({k for s in stats for k in s if k.startswith("loss/")})


def _config_section(run: RunData) -> str:
    parts = ["<h2>Configuration</h2>"]
    for key in ("method", "loop"):
        section = run.config.get(key)
        if isinstance(section, dict):
            parts += [f"<h3>{html.escape(key)}</h3>", table(["option", "value"], sorted(section.items()))]
    parts.append("<details><summary>config.json</summary><pre>"
                 + html.escape(json.dumps(run.config, indent=2, sort_keys=True)) + "</pre></details>")
    return "\n".join(parts)


def render_html(run: RunData) -> str:
    ids = _Ids()
    method = run.config.get("method", {}).get("method", "?") if isinstance(run.config.get("method"), dict) else "?"
    data = run.config.get("loop", {}).get("data", "?") if isinstance(run.config.get("loop"), dict) else "?"
    kimg = run.stats[-1].get("kimg") if run.stats else (run.samples[-1][0] if run.samples else 0)
    title = f"{run.name}: {method} on {data}"
    body = [f"<h1>{html.escape(title)}</h1>",
            f'<p class="muted">{kimg:g} kimg &middot; report written {time.strftime("%Y-%m-%d %H:%M:%S")} '
            f"&middot; {html.escape(str(run.path.resolve()))}</p>",
            _samples_section(run, ids), _curves_section(run), _learning_section(run), _timing_section(run), _config_section(run)]
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{html.escape(title)}</title><style>{STYLE}</style></head><body>\n"
            + "\n".join(body) + f"\n<script>{FALLBACK_SCRIPT}</script>\n</body></html>\n")


def write_report(run_dir: str | Path, out: str | Path | None = None) -> Path:
    """Write the HTML report of ``run_dir`` to ``out`` (default ``<run_dir>/report.html``); returns its path.

    Safe to call while training runs (the file is replaced atomically).
    """
    run = load_run(run_dir)
    out = Path(out) if out is not None else run.path / "report.html"
    atomic_write_text(out, render_html(run))
    umask = os.umask(0)
    os.umask(umask)
    out.chmod(0o666 & ~umask)          # the atomic temp file was private (0600); a report is for sharing
    return out
