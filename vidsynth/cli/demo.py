"""``vidsynth demo``: a tiny DIGAN (or MoCoGAN-HD) trained within a time budget (``vidsynth.demo``)."""
from __future__ import annotations

import click


@click.command("demo", context_settings={"show_default": True}, epilog="""\b
Examples:
  vidsynth demo                                # tiny DIGAN on builtin:scene, <= 5 minutes on 2 CPU cores
  vidsynth demo --data builtin:shapes --minutes 15
  vidsynth demo --method mocogan-hd            # StyleGAN2 image G, then a MoCoGAN-HD motion G
""")
@click.option("--method", type=click.Choice(["digan", "mocogan-hd"]), default="digan")
@click.option("--data", default="builtin:scene", help="A built-in dataset (builtin:scene, builtin:shapes) or any dataset path.")
@click.option("--minutes", type=float, default=5.0, help="Total time budget, training included.")
@click.option("--outdir", default="runs", help="Where the demo's run folder goes.")
@click.option("--seed", type=int, default=0)
@click.option("--device", default="auto", help="auto, cpu, cuda ...")
@click.option("--quiet", is_flag=True, help="No progress bar.")
def demo_command(method, data, minutes, outdir, seed, device, quiet):
    """Train a tiny model on a built-in dataset and write sample videos plus a real-vs-generated comparison."""
    if minutes <= 0:
        raise click.UsageError("--minutes must be > 0")
    if method == "mocogan-hd":
        from vidsynth.demo.mocogan_hd import format_mocogan_summary, run_mocogan_demo

        summary = run_mocogan_demo(outdir=outdir, minutes=minutes, seed=seed, device=device, data=data,
                                   progress=not quiet)
        click.echo(format_mocogan_summary(summary))
        return
    from vidsynth.demo.digan import format_summary, run_digan_demo

    summary = run_digan_demo(data, minutes, outdir, seed, device, progress=not quiet)
    click.echo(format_summary(summary))
