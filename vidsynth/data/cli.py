"""Deprecated: moved to vidsynth.cli.dataset (see CHANGELOG.md)."""
from vidsynth.utils.deprecation import moved_module
moved_module(__name__, "vidsynth.cli.dataset")
