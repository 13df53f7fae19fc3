"""Deprecated: split into vidsynth.importers.convert (convert_checkpoint) and vidsynth.cli.convert (the command); see CHANGELOG.md."""
from vidsynth.utils.deprecation import moved_module
moved_module(__name__, "vidsynth.importers.convert", "vidsynth.cli.convert")
