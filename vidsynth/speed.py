"""Deprecated: moved to vidsynth.bench.speed (see CHANGELOG.md)."""
from vidsynth.utils.deprecation import moved_module
moved_module(__name__, "vidsynth.bench.speed")
