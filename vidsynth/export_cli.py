"""Deprecated: moved to vidsynth.cli.export (see CHANGELOG.md)."""
from vidsynth.utils.deprecation import moved_module
moved_module(__name__, "vidsynth.cli.export")
