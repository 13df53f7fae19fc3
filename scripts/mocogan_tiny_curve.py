"""Issue 15, part 3: MoCoGAN-HD tiny measured on a kimg budget (quality per kimg does not depend on load).

Stage 1: the stylegan2 ``tiny`` image generator in chunks of ``--image-step`` kimg up to ``--image-kimg``, its
per-frame FID (``bench.frame_curve``) after each, beside the per-frame static / noise-floor baselines, and what
``StageSplit`` would decide on that curve. Stage 2: for each ``--motion-scale``, a motion generator on that
image generator for ``--motion-kimg``, then FVD (``fvd{clips}_16f``) beside the noise-floor / static baselines
and the per-frame FID of clips unrolled 3x past the training length. Writes one JSON (``--out``).

    python scripts/mocogan_tiny_curve.py --data builtin:shapes --out docs/learning/mocogan_tiny_shapes.json
"""
from __future__ import annotations

import argparse
import json
import resource
import time
from pathlib import Path

import torch


def cpu_s() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--data", default="builtin:shapes")
    p.add_argument("--out", required=True)
    p.add_argument("--outdir", default="/tmp/mocogan-curve")
    p.add_argument("--image-kimg", type=float, default=6.0)
    p.add_argument("--image-step", type=float, default=1.0)
    p.add_argument("--motion-kimg", type=float, default=0.5)
    p.add_argument("--motion-scale", type=float, nargs="*", default=[0.5, 0.2], help="none: image stage only")
    p.add_argument("--set", nargs="*", default=[], help="mocogan-hd overrides for every variant, key=value")
    p.add_argument("--image-set", nargs="*", default=[], help="stylegan2 overrides, key=value")
    p.add_argument("--clips", type=int, default=32)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--image-run", default="", help="reuse a trained image generator (skip stage 1)")
    p.add_argument("--image-continue", default="",
                   help="continue stage 1 from this image run (its checks from --reuse's image_stage) to --image-kimg")
    p.add_argument("--reuse", default="", help="a JSON of an earlier call: keep its FVD baselines and image stage")
    p.add_argument("--no-fvd", action="store_true", help="variants: per-frame FID only (no FVD)")
    p.add_argument("--motion-continue", default="",
                   help="continue this motion run (one --motion-scale, its own) to --motion-kimg")
    a = p.parse_args()
    if a.motion_continue and len(a.motion_scale) != 1:
        p.error("--motion-continue continues one motion run: give its --motion-scale only")
    torch.set_num_threads(1)

    from vidsynth.bench.frame_curve import FrameProbe, StageSplit, image_stage_stop
    from vidsynth.bench.learning import held_out_clips, measure, static_clips
    from vidsynth.config import LoopConfig, apply_overrides, method_config
    from vidsynth.loader import load_generator
    from vidsynth.training.loop import train
    from vidsynth.utils.files import atomic_write_text, read_jsonl

    def kv(items):
        out = {}
        for item in items:
            k, v = item.split("=", 1)
            out[k] = json.loads(v) if v[:1] in "0123456789-[{tf" else v
        return out

    out_path = Path(a.out)
    res = {"data": a.data, "clips": a.clips, "seed": a.seed, "threads": 1, "image_set": kv(a.image_set),
           "set": kv(a.set), "load_start": list(__import__("os").getloadavg())}

    def save():
        atomic_write_text(out_path, json.dumps(res, indent=1) + "\n")

    video_cfg = method_config("mocogan-hd", "tiny", kv(a.set))
    held = held_out_clips(a.data, video_cfg.resolution, video_cfg.stride, a.clips, a.seed, video_cfg.clip_sampling)
    probe = FrameProbe.from_data(a.data, video_cfg.resolution, video_cfg.frames, video_cfg.stride, a.clips, held,
                                 a.seed, video_cfg.clip_sampling)
    res["frame_baselines"] = probe.baselines()
    margs = dict(data=a.data, clips=a.clips, resolution=video_cfg.resolution, stride=video_cfg.stride,
                 clip_sampling=video_cfg.clip_sampling, seed=a.seed, device=torch.device("cpu"))
    earlier = json.loads(Path(a.reuse).read_text()) if a.reuse else {}
    if "baselines" in earlier:
        res["baselines"] = earlier["baselines"]
        if "image_stage" in earlier:
            res["image_stage"] = earlier["image_stage"]
    else:
        res["baselines"] = {"noise_floor": measure(held, **margs), "static": measure(static_clips(held), **margs)}
    save()
    print("baselines", {k: round(v["fvd"], 1) for k, v in res["baselines"].items()},
          "frame static", round(res["frame_baselines"]["static"]["first"], 1), flush=True)

    common = dict(data=a.data, seed=a.seed, snapshot_kimg=0, num_workers=0, device="cpu", sample_videos=8,
                  keep_checkpoints=1)
    image_run = a.image_run or None
    if not image_run:
        image_cfg = apply_overrides(method_config("stylegan2", "tiny"), kv(a.image_set))
        checks, k = [], 0.0
        if a.image_continue:   # the run's own config (its overrides) and the checks measured so far
            image_run = a.image_continue
            checks = list(earlier.get("image_stage", {}).get("checks", []))
            k = read_jsonl(Path(image_run) / "stats.jsonl")[-1]["kimg"]
        while k < a.image_kimg - 1e-9:
            k = min(k + a.image_step, a.image_kimg)
            c0, t0 = cpu_s(), time.time()
            image_run = train(image_cfg, LoopConfig(kimg=k, sample_frames=1, **common), outdir=a.outdir,
                              resume=image_run, run_name="curve-image")
            last = read_jsonl(Path(image_run) / "stats.jsonl")[-1]
            m = probe.image_fid(load_generator(image_run), a.clips, a.seed)
            checks.append({"kimg": last["kimg"], "step": last["step"], "train_s": last["time"],
                           "cpu_s": round(cpu_s() - c0, 1), "wall_s": round(time.time() - t0, 1), **m})
            res["image_stage"] = {"run": str(image_run), "checks": checks}
            save()
            print(f"image {last['kimg']:.2f} kimg: frame FID {m['fid']:.1f} +- {m['std']:.1f}", flush=True)
        # what the split rule decides on this curve (shares: kimg / image_kimg * max_share)
        rule = StageSplit()
        shares = [dict(c, share=round(c["kimg"] / a.image_kimg * rule.max_share, 4)) for c in checks]
        for i in range(1, len(shares) + 1):
            reason = image_stage_stop(shares[:i], res["frame_baselines"]["static"], rule)
            if reason:
                res["image_stage"]["rule_stops"] = {"after_kimg": shares[i - 1]["kimg"], "reason": reason}
                break
        save()
    res["image_run"] = str(image_run)
    res["variants"] = []
    for scale in a.motion_scale:
        cfg = method_config("mocogan-hd", "tiny", {**kv(a.set), "image_generator": str(image_run),
                                                   "motion_scale": scale})
        c0, t0 = cpu_s(), time.time()
        run = train(cfg, LoopConfig(kimg=a.motion_kimg, sample_frames=16, **common), outdir=a.outdir,
                    run_name=f"curve-motion-{scale}", resume=a.motion_continue or None)
        last = read_jsonl(Path(run) / "stats.jsonl")[-1]
        v = {"motion_scale": scale, "run": str(run), "kimg": last["kimg"], "step": last["step"],
             "train_s": last["time"], "cpu_s": round(cpu_s() - c0, 1), "wall_s": round(time.time() - t0, 1)}
        sampler = load_generator(run)
        if not a.no_fvd:
            v.update(measure(sampler, **margs))
        v["frame_fid"] = probe.trajectory_fid(sampler, a.clips, cfg.frames, 3, a.seed)
        res["variants"].append(v)
        save()
        f = v["frame_fid"]
        print(f"motion_scale {scale}: FVD {v.get('fvd', float('nan')):.1f} (static {res['baselines']['static']['fvd']:.1f}); frame FID "
              f"first {f['first']:.1f} trained x{f['trained_ratio']:.2f} unrolled x{f['unrolled_ratio']:.2f} "
              f"margin {f['margin']:.2f} on_manifold {f['on_manifold']}", flush=True)
    res["load_end"] = list(__import__("os").getloadavg())
    save()


if __name__ == "__main__":
    main()
