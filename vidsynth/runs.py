"""Deprecated: split into vidsynth.utils.files and vidsynth.training.run_dir (see CHANGELOG.md)."""
from vidsynth.utils.deprecation import moved_module
moved_module(__name__, "vidsynth.utils.files", "vidsynth.training.run_dir")
