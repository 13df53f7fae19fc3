"""Every command's --help has an Examples section and no command defaults to a fixed device (README promise)."""
import click
import pytest

from vidsynth.cli import COMMANDS, main


def _walk(command: click.Command, path: tuple[str, ...]):
    yield path, command
    if isinstance(command, click.Group):
        ctx = click.Context(command, info_name=path[-1])
        for name in command.list_commands(ctx):
            yield from _walk(command.get_command(ctx, name), path + (name,))


TREE = list(_walk(main, ("vidsynth",)))
# Subcommands a group runs when none is named: their examples are written without the subcommand's name.
DEFAULT_SUBCOMMANDS = {"vidsynth metrics compute": "vidsynth metrics"}


def test_the_walk_covers_every_registered_command_and_the_mocogan_subcommands():
    names = {" ".join(p) for p, _ in TREE}
    assert {f"vidsynth {c}" for c in COMMANDS} <= names
    assert {f"vidsynth mocogan {c}" for c in ("long", "interpolate", "content-motion", "predict", "pca-explore",
                                                "diversity")} <= names
    assert "vidsynth dataset info" in names and "vidsynth export" in names


@pytest.mark.parametrize("path", [" ".join(p) for p, _ in TREE])
def test_every_help_has_examples_of_itself(path):
    from click.testing import CliRunner

    result = CliRunner().invoke(main, path.split()[1:] + ["--help"])
    assert result.exit_code == 0, result.output
    assert "Examples:" in result.output, f"`{path} --help` has no Examples section"
    after = result.output.split("Examples:", 1)[1]
    shown = DEFAULT_SUBCOMMANDS.get(path, path)
    assert shown in after, f"`{path} --help` Examples do not show `{shown}` itself"


@pytest.mark.parametrize("path", [" ".join(p) for p, c in TREE if any(o.name == "device" for o in c.params)])
def test_every_device_option_defaults_to_auto(path):
    command = dict((" ".join(p), c) for p, c in TREE)[path]
    device = next(o for o in command.params if o.name == "device")
    assert device.default in ("auto", None), f"{path} --device defaults to {device.default!r}"
    if device.default is None:       # train: None means "the loop's default", which must be auto
        from vidsynth.config import LoopConfig

        assert LoopConfig().device == "auto"
