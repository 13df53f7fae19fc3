"""A model folder ready for the Hugging Face Hub: ``vidsynth export RUN DST``.

``DST`` holds, at its top level (what ``huggingface_hub.upload_folder(folder_path=DST, repo_id=...)``
publishes as is):

- ``config.json`` + ``model.safetensors``: the exported generator (``vidsynth/export.py``'s format, so
  ``vidsynth.load(DST)`` reads it; nothing is unpickled);
- ``README.md``: the model card, YAML front matter (``license``, ``library_name``, ``tags``) then method,
  dataset, kimg, the metrics with their protocols, the sample gif and how to load it;
- ``sample.gif``: a grid of videos sampled from the exported weights (seed 0).

Nothing here touches the network: uploading is the user's ``huggingface-cli upload`` / ``upload_folder``.
"""
from __future__ import annotations

import json
from pathlib import Path

from vidsynth.errors import VidsynthError
from vidsynth.training.run_dir import find_run_folder, read_run_config, resolve_model_folder
from vidsynth.utils.files import atomic_write_text, read_jsonl

PAPERS = {
    "digan": "DIGAN: Generating Videos with Dynamics-aware Implicit Generative Adversarial Networks (Yu et al., ICLR 2022)",
    "mocogan-hd": "A Good Image Generator Is What You Need for High-Resolution Video Synthesis (Tian et al., ICLR 2021)",
    "stylegan2": "Analyzing and Improving the Image Quality of StyleGAN (Karras et al., CVPR 2020)",
}


def _metrics_rows(run_dir: Path | None, kimg) -> list[dict]:
    """metrics.jsonl records of this snapshot (latest value per metric)."""
    if run_dir is None:
        return []
    rows = {}
    for r in read_jsonl(run_dir / "metrics.jsonl"):
        if r.get("kimg") == kimg and "metric" in r and isinstance(r.get("value"), (int, float)):
            rows[r["metric"]] = r
    return list(rows.values())


def _metrics_table(rows: list[dict]) -> str:
    if not rows:
        return ("No metrics were computed for this snapshot. Compute them with e.g. `vidsynth metrics --metrics "
                "fvd2048_16f --real DATA --fake .` (protocols: docs/metrics.md).")
    lines = ["| metric | value | std | real clips | generated clips | frames (subsample) | real resolution | "
             "feature network |", "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        p = r.get("protocol", {}) or {}
        frames = f"{p.get('frames', '?')} ({p.get('subsample', 1)})"
        lines.append(f"| {r['metric']} | {r['value']:.4f} | {r.get('std', 0.0):.4f} | {r.get('num_real', '?')} | "
                     f"{r.get('num_fake', '?')} | {frames} | {p.get('resolution', '-')} | "
                     f"{r.get('feature_network', '?')} |")
    return "\n".join(lines) + ("\n\nName grammar `{metric}{N}_{T}f[_subsample{k}f]`: N clips of T frames, every "
                               "k-th frame fed to the feature network (vidsynth docs/metrics.md).")


def model_card(config: dict, run_config: dict | None, metrics: list[dict], license: str) -> str:
    """The README.md text: YAML front matter for the Hub, then what a user needs to judge and load the model."""
    meta = config.get("metadata", {})
    method = meta.get("method") or (run_config or {}).get("method", {}).get("method", "unknown")
    dataset = meta.get("dataset") or (run_config or {}).get("loop", {}).get("data", "unknown")
    kimg = meta.get("kimg")
    tags = ["vidsynth", "video-generation" if method != "stylegan2" else "image-generation", "gan", method]
    front = ["---", f"license: {license}", "library_name: vidsynth", "tags:"] + [f"- {t}" for t in tags] + ["---", ""]
    facts = [("method", f"{method} ({PAPERS.get(method, 'see vidsynth docs')})"),
             ("generator class", config["class_name"]), ("dataset", dataset),
             ("resolution", meta.get("resolution", "?")), ("training clip frames", meta.get("train_frames", "?")),
             ("kimg (thousand real videos shown to D)", kimg), ("optimisation steps", meta.get("step", "?")),
             ("frame rate of samples", meta.get("fps", "?")),
             ("classes", ", ".join(meta.get("class_names", [])) or "unconditional")]
    if meta.get("checkpoint"):
        facts.append(("exported from checkpoint", Path(meta["checkpoint"]).name))
    kind = "image generator" if method == "stylegan2" else "video generator"
    trained = ", ".join(x for x in (Path(str(dataset)).name or str(dataset),
                                    f"{kimg} kimg" if kimg is not None else "") if x and x != "unknown")
    body = [f"# {method} {kind}" + (f" ({trained})" if trained else ""), "",
            "Trained with vidsynth, a pure-PyTorch toolkit for video GANs (`pip install vidsynth`).",
            "", "| | |", "|---|---|"] + [f"| {k} | {v} |" for k, v in facts] + [
            "", "## Metrics", "", _metrics_table(metrics), "",
            "## Samples", "", "![samples](sample.gif)", "",
            "`sample.gif`: `vidsynth.load(folder).sample(n, seed=0)` from these weights.", "",
            "## How to load", "", "```python", "import vidsynth", "",
            "g = vidsynth.load(\"path/to/this/folder\")   # config.json + model.safetensors",
            "videos = g.sample(4, frames=16, seed=0)   # float [4, 3, 16, H, W] in [-1, 1]", "```", "",
            "From the Hub (`pip install huggingface_hub`):", "", "```python",
            "from huggingface_hub import snapshot_download", "import vidsynth", "",
            "g = vidsynth.load(snapshot_download(\"USER/REPO\"))", "```", "",
            "Command line: `vidsynth generate FOLDER --n 16 --out samples.mp4`. The weights are a safetensors "
            "file and `config.json` names the class and its constructor arguments: loading never unpickles.", "",
            "## License", "", f"`{license}` (the `license` field above; set with `vidsynth export --license`). "
            "Check that the training data allows the use you intend.", ""]
    return "\n".join(front + body)


def export_hub(source: str | Path, dst: str | Path, license: str = "other", samples: int = 9, seed: int = 0,
               device: str = "cpu") -> Path:
    """Write the Hub folder ``dst`` for ``source`` (anything ``vidsynth.load`` accepts); returns ``dst``."""
    import vidsynth
    from vidsynth.export import save_model
    from vidsynth.video.write import make_grid, write_video

    source, dst = Path(source), Path(dst)
    if dst.exists() and any(dst.iterdir()):
        raise VidsynthError(f"'{dst}' exists and is not empty: choose a new folder for the export")
    sampler = vidsynth.load(source, device=device)
    module = sampler.generator
    config = _source_config(source)
    save_model(module, dst, config["kwargs"], dict(sampler.metadata))
    config = json.loads((dst / "config.json").read_text())
    run_dir = find_run_folder(source)
    run_config = read_run_config(run_dir) if run_dir else None
    frames = 1 if type(sampler).__name__ == "ImageSampler" else sampler.train_frames
    videos = sampler.sample(samples, frames=frames, seed=seed)
    write_video(dst / "sample.gif", make_grid(videos), fps=sampler.fps)
    metrics = _metrics_rows(run_dir, sampler.metadata.get("kimg"))
    atomic_write_text(dst / "README.md", model_card(config, run_config, metrics, license))
    return dst


def _source_config(source: Path) -> dict:
    """The exported-model config of ``source`` (a model folder, a run folder's model/, or a checkpoint's run)."""
    from vidsynth.export import read_model_config

    if source.suffix == ".pt":
        from vidsynth.checkpoint_model import load_checkpoint_model

        return load_checkpoint_model(source)[1]
    return read_model_config(resolve_model_folder(source))
