"""Curves of a run as PNG bytes (matplotlib, Agg backend: no display needed)."""
from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buf, format="png", dpi=100)
    plt.close(fig)
    return buf.getvalue()


def _series(stats: list[dict], prefix: str) -> dict[str, tuple[list, list]]:
    out: dict[str, tuple[list, list]] = {}
    for s in stats:
        for k, v in s.items():
            if k.startswith(prefix) and isinstance(v, (int, float)):
                xs, ys = out.setdefault(k, ([], []))
                xs.append(s.get("kimg", len(xs)))
                ys.append(v)
    return out


def line_plot(series: dict[str, tuple[list, list]], title: str, ylabel: str, logy: bool = False) -> bytes | None:
    """One axes with a line per series ``{label: (x, y)}``; None when there is nothing to draw."""
    if not series:
        return None
    fig, ax = plt.subplots(figsize=(5.6, 3.3))
    for label, (xs, ys) in sorted(series.items()):
        ax.plot(xs, ys, label=label, marker="o" if len(xs) < 20 else None, markersize=3)
    ax.set_title(title)
    ax.set_xlabel("kimg (thousands of real videos shown to D)")
    ax.set_ylabel(ylabel)
    if logy and all(y > 0 for _, ys in series.values() for y in ys):
        ax.set_yscale("log")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return _png(fig)


def loss_plot(stats: list[dict]) -> bytes | None:
    return line_plot(_series(stats, "loss/"), "Losses", "loss")


def d_output_plot(stats: list[dict]) -> bytes | None:
    return line_plot(_series(stats, "D/"), "Discriminator outputs (mean logits)", "logit")


def speed_plot(stats: list[dict]) -> bytes | None:
    return line_plot(_series(stats, "sec_per_kimg"), "Training speed", "seconds per kimg")


def metric_plots(metrics: list[dict]) -> dict[str, bytes]:
    """One plot per metric name over kimg (metrics without a kimg are plotted against their order)."""
    by_name: dict[str, tuple[list, list]] = {}
    for i, m in enumerate(metrics):
        xs, ys = by_name.setdefault(m["metric"], ([], []))
        xs.append(m["kimg"] if m["kimg"] is not None else len(xs))
        ys.append(m["value"])
    return {name: line_plot({name: xy}, f"{name} over training", name) for name, xy in sorted(by_name.items())}


BASELINE_STYLES = {"noise_floor": ("held-out real (noise floor)", "tab:green"),
                   "static": ("static first frame", "tab:orange"), "untrained": ("untrained G", "tab:red")}


def steady_end_segment(result: dict) -> tuple[list[float], float, str] | None:
    """Where a learning curve ends (``result["steady_end"]``, the mean FVD of its last points): the minutes its
    points span, that FVD, and a legend label; None when the result has none (fewer points, older files)."""
    end, curve = result.get("steady_end"), result.get("curve", [])
    if not end or len(curve) < end["points"]:
        return None
    ratio = "" if end.get("x_static") is None else f", {end['x_static']:.2f}x static"
    xs = [p["minutes"] for p in curve[-end["points"]:]]
    return [xs[0], xs[-1]], end["fvd"], f"mean of the last {end['points']} points ({end['fvd']:.1f}{ratio})"


def learning_plot(result: dict) -> bytes | None:
    """``vidsynth bench --measure learning``: FVD and KVD over training minutes, baselines as dashed lines.

    ``result``: the ``learning.json`` dict (``curve`` [{minutes, kimg, fvd, kvd}], ``baselines`` {name: {fvd, kvd}},
    MoCoGAN-HD's ``frame_fid`` {fid: [per frame], train_frames, clips}: a third panel); ``steady_end`` as a thick
    bar over the last points at their mean FVD. None when there is nothing to draw."""
    curve, baselines = result.get("curve", []), result.get("baselines", {})
    if not curve and not baselines:
        return None
    frame_fid, stage = result.get("frame_fid"), (result.get("image_stage") or {}).get("checks")
    panels = 2 + bool(frame_fid) + bool(stage)
    fig, axes = plt.subplots(1, panels, figsize=(5 * panels, 3.6))
    frame_base = result.get("frame_baselines") or {}
    if frame_fid:   # MoCoGAN-HD: FID of each frame of an unrolled clip; the trained length shaded
        ax = axes[2]
        ax.plot(range(len(frame_fid["fid"])), frame_fid["fid"], marker="o", markersize=3, color="tab:purple",
                label="generated")
        ax.axvspan(-0.5, frame_fid["train_frames"] - 0.5, color="0.9", label="training length")
        if "margin" in frame_fid:   # frame 0 times (1 + the noise margin): later frames above it left the manifold
            ax.axhline(frame_fid["first"] * (1 + frame_fid["margin"]), ls=":", color="tab:purple",
                       label=f"frame 0 + {frame_fid['margin']:.0%} (noise margin)")
        if frame_base:
            noise = frame_base["noise_floor"]["fid"]
            ax.plot(range(len(noise)), noise, ls="--", color=BASELINE_STYLES["noise_floor"][1], label="held-out real")
        ax.set_xlabel(f"frame index ({frame_fid['clips']} clips)")
        ax.set_ylabel("per-frame FID vs real frames")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    if stage:       # MoCoGAN-HD stage 1: the image generator's FID at each check of the budget split
        ax = axes[-1]
        ax.plot([100 * c["share"] for c in stage], [c["fid"] for c in stage], marker="o", color="tab:cyan",
                label="image generator")
        if frame_base:
            ax.axhline(frame_base["static"]["first"], ls="--", color=BASELINE_STYLES["static"][1],
                       label="static (real first frames)")
        ax.set_xlabel("% of the budget (image stage)")
        ax.set_ylabel("per-frame FID vs real frames")
        ax.set_title(f"stops: {result['image_stage'].get('reason') or '...'}", fontsize=8)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    for ax, key in zip(axes, ("fvd", "kvd")):
        xs, ys = [p["minutes"] for p in curve], [p[key] for p in curve]
        if curve:
            ax.plot(xs, ys, marker="o", markersize=4, color="tab:blue", label="EMA generator")
            for p in curve:
                ax.annotate(f"{p['kimg']:.1f} kimg", (p["minutes"], p[key]), fontsize=6, textcoords="offset points",
                            xytext=(0, 5), ha="center")
        for name, (label, colour) in BASELINE_STYLES.items():
            if name in baselines:
                ax.axhline(baselines[name][key], ls="--", color=colour, label=label)
        segment = steady_end_segment(result) if key == "fvd" else None
        if segment:     # where the curve ends: single points wobble, so the verdict reads this mean too
            ax.plot(segment[0], [segment[1]] * 2, lw=4, alpha=0.4, color="tab:blue", solid_capstyle="butt",
                    label=segment[2])
        still = [c for c in stage or [] if c.get(f"held_still_{key}") is not None]
        if still:   # MoCoGAN-HD stage 1: the image generator's images held still, the static baseline's protocol
            ax.plot([c["spent"] for c in still], [c[f"held_still_{key}"] for c in still], marker="s", markersize=4,
                    ls=":", color="tab:cyan", label="image generator held still")
            handoff = (result.get("image_stage") or {}).get("handoff")
            if handoff is not None and handoff.get("check") is not None and handoff["check"] < len(stage):
                chosen = stage[handoff["check"]]
                if chosen.get(f"held_still_{key}") is not None:
                    ax.plot([chosen["spent"]], [chosen[f"held_still_{key}"]], marker="*", markersize=11,
                            ls="none", color="tab:cyan", label="hand-off to the motion stage")
        values = ys + [b[key] for b in baselines.values()] + [c[f"held_still_{key}"] for c in still]
        if key == "fvd" and values and all(v > 0 for v in values):
            ax.set_yscale("log")
        ax.set_xlabel("training minutes (metric time not counted)")
        ax.set_ylabel(key.upper())
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=7)
    metrics = result.get("metrics", ["FVD", "KVD"])
    settings = result.get("settings", {})
    fig.suptitle(f"{settings.get('config', '')} on {settings.get('data', '')}: {', '.join(metrics)}; "
                 f"{result.get('summary', '')}", fontsize=9)
    return _png(fig)
