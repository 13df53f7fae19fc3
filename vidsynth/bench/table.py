"""Readable terminal tables for a ``run_bench`` result."""
from __future__ import annotations


def _fmt(value, digits: int = 2) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        if value != 0 and abs(value) < 0.01:
            return f"{value:.2g}"
        return f"{value:.{digits}f}" if abs(value) < 1e4 else f"{value:.3g}"
    return str(value)


def _table(headers: list[str], rows: list[list], markdown: bool = False) -> str:
    cells = [headers] + [[_fmt(c) for c in row] for row in rows]
    if markdown:
        lines = ["| " + " | ".join(r) + " |" for r in cells]
        lines.insert(1, "|" + "---|" * len(headers))
        return "\n".join(lines)
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = ["  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths))) for r in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _get(d: dict, *keys):
    for k in keys:
        if not isinstance(d, dict) or k not in d:
            return None
        d = d[k]
    return d


def _pct(fraction, kind=None) -> str:
    """``0.58, "sgemm"`` -> ``58% sgemm``."""
    return "-" if fraction is None else f"{100 * fraction:.0f}% {kind or ''}".strip()


def _sys(cpu: dict | None) -> str:
    """System / user CPU time of the timed calls, as a percentage (target < 10%)."""
    ratio = (cpu or {}).get("sys_over_user")
    return "-" if ratio is None else f"{100 * ratio:.0f}%"


def _mem(row: dict) -> str:
    return _fmt(row.get("peak_mem_gib")) + (" (estimated)" if row.get("estimated") else "")


def format_results(out: dict, markdown: bool = False) -> str:
    """The whole result as text tables (``markdown=True``: GitHub tables, as in docs/performance.md)."""
    parts = [f"device: {out['device']} ({out['device_name']}), torch {out['torch']}, {out['threads']} threads, "
             f"batch {out['batch']}{' (quick)' if out['quick'] else ''}",
             f"GMAC: {out['flop_convention']}", ""]
    rows = []
    for r in out["results"]:
        g = r.get("generation") or {}
        rows.append([r["config"], _get(r, "generator", "gmac_per_video"), g.get("videos_per_s"),
                     g.get("frames_per_s"), g.get("peak_mem_gib"),
                     _pct(g.get("fraction_of_peak"), g.get("peak_kind")),
                     _sys(g.get("cpu")), _get(r, "discriminator", "gmac_per_clip"),
                     _get(r, "discriminator", "clips_per_s"),
                     _pct(_get(r, "discriminator", "fraction_of_peak"), _get(r, "discriminator", "peak_kind"))])
    if rows:
        parts.append(_table(["config", "G GMAC/video", "videos/s", "frames/s", "gen GiB", "gen % of peak",
                             "gen sys/user", "D GMAC/clip", "D clips/s", "D % of peak"], rows, markdown))
    batch = lambda t: f'{t["batch"]} ({t["batch_gpu"]} per pass)' if t.get("batch_gpu") else t["batch"]  # noqa: E731
    train_rows = [[r["config"], batch(t), t["kind"], t.get("sec_per_step"), _mem(t), _fmt(t.get("gflops"), 1),
                   _pct(t.get("fraction_of_peak"), t.get("peak_kind")), _sys(t.get("cpu"))]
                  for r in out["results"] for t in _get(r, "training", "rows") or [] if not t.get("probe")]
    if train_rows:
        parts += ["", "training steps (one G + one D update; memory: peak of the first step, with optimizer state):",
                  _table(["config", "batch", "kind", "s/step", "peak GiB", "GFLOP/s", "% of peak", "sys/user"],
                         train_rows, markdown)]
    mem_rows = []
    for r in out["results"]:
        m = r.get("memory") or {}
        if "training" in m:
            gen = {row["frames"]: row for row in m["generation"]["rows"]}
            mem_rows.append([r["config"], _mem(m["training"]),
                             *[_fmt(gen[f]["streamed_peak_gib"]) if f in gen else "-" for f in (16, 128, 1024)],
                             _fmt(m["generation"]["working_growth"])])
    if mem_rows:
        parts += ["", "memory at batch 4 (GiB): training step peak; generation peak, streamed in chunks of 8 frames "
                      "(each chunk handed on as to a video writer) at 16 / 128 / 1024 frames:",
                  _table(["config", "train b4", "gen 16 fr", "gen 128 fr", "gen 1024 fr", "growth 1024/16"],
                         mem_rows, markdown)]
    errors = [(r["config"], k, v["error"]) for r in out["results"] for k, v in r.items()
              if isinstance(v, dict) and "error" in v]
    for config, key, err in errors:
        parts.append(f"  ! {config} {key}: {err}")

    speed_rows = []
    for r in out["results"]:
        for name, res in (r.get("speedups") or {}).items():
            if not isinstance(res, dict):
                continue
            if "skipped" in res or "error" in res:
                speed_rows.append([r["config"], name, res.get("skipped") or res.get("error"), ""])
                continue
            ratio = ", ".join(f"{k} x{v:.2f}" for k, v in res["speedup_vs_first"].items())
            speed_rows.append([r["config"], name, ratio, _fmt(res.get("max_abs_diff"), 6)])
    if speed_rows:
        parts += ["", "speed-ups (time of the first variant / time of each; same interleaved run):",
                  _table(["config", "variant", "ratios", "max |diff|"], speed_rows, markdown)]

    long_rows = []
    for r in out["results"]:
        for row in _get(r, "long_video", "rows") or []:
            long_rows.append([r["config"], row["frames"], row.get("all_at_once_peak_gib"), row["chunked_peak_gib"],
                              row["streamed_peak_gib"], row["output_gib"]])
    if long_rows:
        parts += ["", "long-video generation, peak memory GiB (chunks of 8 frames):",
                  _table(["config", "frames", "all at once", "chunked", "streamed", "output"], long_rows, markdown)]

    official = out.get("official") or []
    if official:
        rows = []
        for o in official:
            if "error" in o:
                rows.append([o["method"], o["error"], *[""] * 8])
                continue
            a, b = o["official"], o["ours"]
            rows.append([f"{o['method']} ({o['config']})", a["sec_per_video"], b["sec_per_video"],
                         f"{o['ours_faster_by']:.2f}x" + ("" if o["meets_target"] else f" (< {o['target']:.0f}x)"),
                         f"{o['ours_faster_by_cpu_time']:.2f}x",
                         a["peak_mem_gib"], b["peak_mem_gib"],
                         f"{_pct(a['fraction_of_peak'], a['peak_kind'])} / "
                         f"{_pct(b['fraction_of_peak'], b['peak_kind'])}",
                         f"{_sys(a['cpu'])} / {_sys(b['cpu'])}",
                         _pct(o.get("required_fraction_of_peak_for_3x"), b["peak_kind"])])
        parts += ["", "official code vs ours, generation (interleaved, batch 1, 16 frames, random weights; "
                      "3x needs: ours' executed MACs in a third of the official time, as % of the peak):",
                  _table(["method", "official s/video", "ours s/video", "ours faster by", "by CPU time", "official GiB",
                          "ours GiB",
                          "% of peak (off / ours)", "sys/user (off / ours)", "3x needs"], rows, markdown)]

    loader_rows = []
    for r in out["results"]:
        ld = r.get("loader")
        for fmt, res in (ld or {}).get("formats", {}).items() if isinstance(ld, dict) else ():
            loader_rows.append([r["config"], fmt, ld["num_workers"], res.get("all_frames_clips_per_s"),
                                res.get("step_frames_clips_per_s"), res["step_clips_per_s"], res["data_wait_share"]])
    if loader_rows:
        parts += ["", "data loader (frame cache off): clips/s alone (all frames / only the frames the step uses), "
                      "clips/s the step consumes, share of step time waiting for data (target < 0.05):",
                  _table(["config", "format", "workers", "loader all", "loader step frames", "step clips/s",
                          "wait share"], loader_rows, markdown)]

    h2h = [h for h in out.get("head_to_head") or [] if "error" not in h]
    if h2h:
        rows = [[" vs ".join(h["configs"]), h["frames"], h["sec_per_16_frame_video"]["digan"],
                 h["sec_per_16_frame_video"]["mocogan-hd"], h["mocogan_hd_over_digan_time"],
                 h["peak_mem_gib"]["digan"], h["peak_mem_gib"]["mocogan-hd"]] for h in h2h]
        parts += ["", "head to head, generation (interleaved, batch 1; seconds per 16-frame video):",
                  _table(["pair", "frames run", "DIGAN s", "MoCoGAN-HD s", "time ratio", "DIGAN GiB",
                          "MoCoGAN-HD GiB"], rows, markdown)]
    if out.get("peak"):
        p = out["peak"]
        parts += ["", f"machine peak ({p['threads']} threads, best of 3): sgemm {_fmt(p['sgemm_gflops'], 1)} GFLOP/s, "
                      f"3x3 conv {_fmt(p['conv3x3_gflops'], 1)} GFLOP/s, 3x3x3 conv3d "
                      f"{_fmt(p['conv3d_3x3x3_gflops'], 1)} GFLOP/s"]
    if out.get("i3d"):
        i = out["i3d"]
        if "skipped" in i:
            parts += ["", f"I3D: {i['skipped']}"]
        else:
            frac = i.get("fraction_of_conv3x3_peak")
            parts += ["", f"I3D (metric path, {i['source_size']} px -> {i['size']}, batch {i['batch']}): "
                          f"{_fmt(i['clips_per_s'])} clips/s = {_fmt(i['gflops'], 1)} GFLOP/s at "
                          f"{_fmt(i['gflop_per_clip'], 1)} GFLOP/clip, {100 * frac:.0f}% of the 3x3-conv rate "
                          f"({_fmt(i['conv3x3_gflops_interleaved'], 1)} GFLOP/s, timed interleaved)"]
            rows = [[name, v["clips_per_s"], v["gflops"]] for name, v in (i.get("variants") or {}).items()
                    if isinstance(v, dict)]
            if rows:
                parts.append(_table(["I3D variant (224 px input)", "clips/s", "GFLOP/s"], rows, markdown))
            if (i.get("variants") or {}).get("compile_s") is not None:
                parts.append(f"  torch.compile time: {_fmt(i['variants']['compile_s'], 1)} s")

    cmp = out.get("paper_comparison") or {}
    paper_rows = []
    for method in ("digan", "mocogan-hd"):
        if method in cmp:
            for key, label in (("gmac", "G GMAC/video"), ("d_clips_per_s", "D clips/s"),
                               ("train_mem_gb", "train memory GB")):
                e = cmp[method][key]
                ours = _fmt(e["ours"]) + (" (estimated)" if e.get("estimated") else "")
                paper_rows.append([method, label, ours, e["paper"], e["ratio"]])
    if paper_rows:
        parts += ["", f"ours vs paper ({cmp['paper_setup']}):",
                  _table(["method", "quantity", "ours", "paper", "ours/paper"], paper_rows, markdown)]
        for method in ("digan", "mocogan-hd"):
            if method in cmp:
                parts.append(f"  {method}: {cmp[method]['explanation']}")
    return "\n".join(parts)
