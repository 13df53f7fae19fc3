"""Deprecated: moved to vidsynth.video.stream (see CHANGELOG.md)."""
from vidsynth.utils.deprecation import moved_module
moved_module(__name__, "vidsynth.video.stream")
