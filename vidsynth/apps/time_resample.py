"""Deprecated: moved to vidsynth.apps.digan.time_resample (see CHANGELOG.md)."""
from vidsynth.utils.deprecation import moved_module
moved_module(__name__, "vidsynth.apps.digan.time_resample")
