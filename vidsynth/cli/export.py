"""``vidsynth export``: a Hub-ready model folder, or a TorchScript / ONNX graph of the sampler."""
from __future__ import annotations

from pathlib import Path

import click

EPILOG = """\b
Examples:
  vidsynth export runs/00003-digan-ucf hub/digan-ucf                       # model/ (the latest snapshot)
  vidsynth export runs/00003-digan-ucf/model-best hub/digan-ucf --license mit
  vidsynth export runs/00003-digan-ucf/checkpoints/training_state-000012000.pt hub/step12000
  huggingface-cli upload USER/digan-ucf hub/digan-ucf .                    # publish (your command, your token)
  vidsynth export runs/00003-digan-ucf graph/ --format torchscript --n 4 --frames 16
  vidsynth export runs/00004-mocogan-hd-sky graph/ --format onnx --n 1      # extra: pip install vidsynth[onnx]

\b
hub: config.json + model.safetensors + README.md (model card) + sample.gif, loadable with
vidsynth.load(DST). torchscript/onnx: model.pt / model.onnx + graph.json; the graph takes the random
inputs of sample(n, frames, seed) (vidsynth.export_graph.example_inputs) and returns [n, 3, T, H, W].
"""


@click.command("export", epilog=EPILOG, context_settings={"show_default": True})
@click.argument("source", type=click.Path(exists=True))
@click.argument("dst", type=click.Path())
@click.option("--format", "fmt", type=click.Choice(["hub", "torchscript", "onnx"]), default="hub",
              help="hub: a Hugging Face Hub model folder; torchscript / onnx: a standalone sampling graph.")
@click.option("--license", "license_", default="other", help="hub: the model card's license field (e.g. mit, "
              "apache-2.0, cc-by-nc-4.0).")
@click.option("--n", type=int, default=None, help="hub: videos in sample.gif [default: 9]; graphs: the batch size "
              "the graph takes [default: 1].")
@click.option("--frames", type=int, default=None, help="graphs: frames per video [default: the training clip length].")
@click.option("--seed", type=int, default=0, help="Seed of sample.gif / of the latents the graph is traced with.")
@click.option("--device", default="auto", help="hub: device that renders sample.gif (graphs are traced on cpu).")
def export_command(source, dst, fmt, license_, n, frames, seed, device):
    """Export SOURCE (a run folder, RUN/model-best, RUN/model-<kimg>, an exported model or a checkpoint .pt) to DST."""
    if n is not None and n < 1 or frames is not None and frames < 1:
        raise click.UsageError("--n and --frames must be >= 1")
    if fmt == "hub":
        from vidsynth.export_hub import export_hub

        out = export_hub(source, dst, license=license_, samples=n or 9, seed=seed, device=device)
        click.echo(f"wrote {out}/: config.json, model.safetensors, README.md, sample.gif\n"
                   f"  load: vidsynth.load('{out}')   publish: huggingface-cli upload USER/REPO {out} .")
        return
    import vidsynth
    from vidsynth.export_graph import export_graph

    path = export_graph(vidsynth.load(source, device="cpu"), Path(dst), fmt, n=n or 1, frames=frames, seed=seed)
    click.echo(f"wrote {path} and {path.parent / 'graph.json'} (inputs and shapes)")
