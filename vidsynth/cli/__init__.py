"""The ``vidsynth`` command line: one module per command in this package (parse, call the library,
print), each imported only when used, so ``vidsynth --help`` stays fast (no torch)."""
from __future__ import annotations

import importlib

import click

# subcommand name -> "module:click_command". One line per subcommand.
COMMANDS = {
    "demo": "vidsynth.cli.demo:demo_command",
    "train": "vidsynth.cli.train:train_command",
    "generate": "vidsynth.cli.generate:generate_command",
    "predict": "vidsynth.cli.predict:predict_command",
    "dataset": "vidsynth.cli.dataset:dataset_group",
    "convert": "vidsynth.cli.convert:convert_command",
    "export": "vidsynth.cli.export:export_command",
    "metrics": "vidsynth.cli.metrics:metrics_command",
    "mocogan": "vidsynth.cli.mocogan:mocogan_group",
    "bench": "vidsynth.cli.bench:bench_command",
    "report": "vidsynth.cli.report:report_command",
    "app": "vidsynth.cli.app:app_command",
}

HELP = {
    "demo": "Train a tiny model on a built-in dataset and write sample videos (minutes on a CPU).",
    "train": "Train a video (or image) generator on a dataset; resumable.",
    "generate": "Sample videos from a trained run or exported model.",
    "predict": "Project real frames into a DIGAN run; predict past, future and in-between frames.",
    "dataset": "Inspect and convert video datasets.",
    "convert": "Import DIGAN / StyleGAN2-ADA / MoCoGAN-HD / rosinality checkpoints safely (strict key/shape check).",
    "export": "Export a model as a Hugging Face Hub folder (safetensors + model card) or a TorchScript/ONNX graph.",
    "metrics": "Compute FVD/KVD/IS/ACD and other metrics for a run or a folder of videos.",
    "mocogan": "MoCoGAN-HD applications: long videos, content/motion grids, prediction, PCA directions, diversity.",
    "bench": "Measure GMAC/video, speed and memory of generators and discriminators (JSON + table).",
    "report": "Write a self-contained HTML report of a training run (videos, curves, config, timings).",
    "app": "Explore a model (time, zoom, motions, PCA) or browse runs in a local web app (extra: vidsynth[app]).",
}


class LazyGroup(click.Group):
    def list_commands(self, ctx):
        return sorted(COMMANDS)

    def get_command(self, ctx, name):
        if name not in COMMANDS:
            return None
        module, attr = COMMANDS[name].split(":")
        return getattr(importlib.import_module(module), attr)

    def format_commands(self, ctx, formatter):
        rows = [(name, HELP.get(name, "")) for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


def given(option: str) -> bool:
    """Was ``--option`` (its parameter name) given on the command line of the running command, not left at
    its default? For options whose meaning depends on others (``train --method``, ``bench``'s per-measure ones)."""
    from click.core import ParameterSource

    return click.get_current_context().get_parameter_source(option) == ParameterSource.COMMANDLINE


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"], "show_default": True})
@click.version_option(package_name="vidsynth")
def main():
    """vidsynth: train, sample, evaluate and manipulate video GANs (DIGAN, MoCoGAN-HD).

    \b
    Examples:
      vidsynth demo                                   # tiny DIGAN on a built-in dataset, ~5 min CPU
      vidsynth train --method digan --data builtin:shapes --preset tiny --minutes 10
      vidsynth train --method digan --data ~/videos --preset paper128 --kimg 5000
      vidsynth generate runs/00000-digan-shapes --n 16 --frames 32 --out samples.mp4
      vidsynth dataset info ~/videos
    """


def _short_warnings():
    """Print warnings raised by vidsynth's own code (skipped files, repeated frames) as one
    ``warning: ...`` line, without the source line that Python's default format adds."""
    import warnings
    from pathlib import Path

    package = str(Path(__file__).resolve().parents[1])  # vidsynth/, not only vidsynth/cli/
    default = warnings.showwarning

    def show(message, category, filename, lineno, file=None, line=None):
        if str(filename).startswith(package):
            click.echo(f"warning: {message}", err=True)
        else:
            default(message, category, filename, lineno, file, line)

    warnings.showwarning = show


def run():
    """Entry point: user-facing errors become one clear line and exit code 2, not a traceback."""
    from vidsynth.errors import VidsynthError

    _short_warnings()
    try:
        main(standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        raise SystemExit(130)
    except click.ClickException as e:
        e.show()
        raise SystemExit(e.exit_code)
    except VidsynthError as e:
        click.echo(f"Error: {e}", err=True)
        raise SystemExit(2)


if __name__ == "__main__":
    run()
