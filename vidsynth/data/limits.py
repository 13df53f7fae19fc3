"""Deprecated: moved to vidsynth.utils.limits (see CHANGELOG.md)."""
from vidsynth.utils.deprecation import moved_module
moved_module(__name__, "vidsynth.utils.limits")
