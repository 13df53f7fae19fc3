"""Deprecated: moved to vidsynth.cli.report (see CHANGELOG.md)."""
from vidsynth.utils.deprecation import moved_module
moved_module(__name__, "vidsynth.cli.report")
