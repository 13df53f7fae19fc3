"""The DIGAN paper's efficiency numbers (Yu et al., ICLR 2022, appendix I) and our counts beside them.

Paper (NVIDIA V100 32 GB): generator 147.9 vs 682.3 "GFLOPs" (fvcore, i.e. GMAC) for a 16-frame
128 x 128 video; discriminators 195.6 vs 60.3 clips/s (128-frame clips, batch 16); training memory
9.7 vs 28.0 GB per GPU at batch 4. The same models counted with ``torch.utils.flop_counter`` on the
official code (DESIGN.md section 7): 158.7 and 722 GMAC.
"""
from __future__ import annotations

PAPER = {
    "digan": {"gmac": 147.9, "d_clips_per_s": 195.6, "train_mem_gb": 9.7},
    "mocogan-hd": {"gmac": 682.3, "d_clips_per_s": 60.3, "train_mem_gb": 28.0},
}
OFFICIAL_CODE_GMAC = {"digan": 158.7, "mocogan-hd": 722.0}
PAPER_SETUP = ("V100 32GB; D throughput on 128-frame 128x128 clips at batch 16; training memory per GPU at "
               "batch 4 (16x128x128)")
PAPER_BATCH = 4   # the paper's training memory is per GPU at batch 4
PAPER_CONFIG = {"digan": "digan-paper128", "mocogan-hd": "mocogan-hd-ucf128"}

# Why our counts differ from the paper's (both are ~6% above it, under the 10% bar):
EXPLANATIONS = {
    "digan": ("158.7e9 MAC / 2**30 = 147.8: the paper's 147.9 is the official count expressed in binary "
              "giga (GiB-style, 2**30) units. Ours (157.3) is 0.9% below the official 158.7."),
    "mocogan-hd": ("Ours includes the StyleGAN2 upsampling blur (4.0 GMAC, a depthwise 4x4 conv here; "
                   "rosinality's upfirdn2d custom op, which fvcore does not count); without it ours is "
                   "722.0, the official torch count. 722e9 / 2**30 = 672.4, 1.5% below the paper's 682.3; "
                   "the residual is not explained by the architecture (all 3x3 / transposed convs agree)."),
}


def compare_with_paper(results: list[dict]) -> dict:
    """``{method: {metric: {"ours", "paper", "ratio"}}}`` for the paper-scale configs in ``results``."""
    out: dict = {"paper_setup": PAPER_SETUP}
    for method, config in PAPER_CONFIG.items():
        row = next((r for r in results if r.get("config") == config), None)
        if row is None:
            continue
        train_mem, estimated = training_memory_at(row, PAPER_BATCH)
        ours = {"gmac": row.get("generator", {}).get("gmac_per_video"),
                "d_clips_per_s": row.get("discriminator", {}).get("clips_per_s"),
                "train_mem_gb": train_mem}
        entry = {}
        for key, paper_value in PAPER[method].items():
            value = ours.get(key)
            entry[key] = {"ours": value, "paper": paper_value,
                          "ratio": value / paper_value if value is not None else None}
        entry["train_mem_gb"]["estimated"] = estimated
        entry["gmac"]["official_code"] = OFFICIAL_CODE_GMAC[method]
        entry["explanation"] = EXPLANATIONS[method]
        out[method] = entry
    if "digan" in out and "mocogan-hd" in out:
        o, p = out["mocogan-hd"], out["digan"]
        out["mocogan_hd_over_digan"] = {
            "gmac": {"ours": _div(o["gmac"]["ours"], p["gmac"]["ours"]), "paper": 682.3 / 147.9},
            "d_speed": {"ours": _div(p["d_clips_per_s"]["ours"], o["d_clips_per_s"]["ours"]), "paper": 195.6 / 60.3},
            "train_mem": {"ours": _div(o["train_mem_gb"]["ours"], p["train_mem_gb"]["ours"]), "paper": 28.0 / 9.7},
        }
    return out


def training_memory_at(row: dict, batch: int) -> tuple[float | None, bool]:
    """Peak training memory (GiB, the largest kind of step) at ``batch`` from a config's result (the
    ``memory`` measure first, else ``training``), and whether it is an estimate (batch did not fit)."""
    for key, path in (("memory", ("training", "rows")), ("training", ("rows",))):
        rows = row.get(key, {})
        for k in path:
            rows = rows.get(k, {}) if isinstance(rows, dict) else {}
        rows = [r for r in rows or [] if r.get("batch") == batch and not r.get("probe")]
        if rows:
            return max(r["peak_mem_gib"] for r in rows), any(r.get("estimated") for r in rows)
    return None, False


def _div(a, b):
    return a / b if a is not None and b else None
