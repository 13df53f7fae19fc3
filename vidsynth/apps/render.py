"""Deprecated: moved to vidsynth.apps.digan.render; frame_times to vidsynth.models.digan.coordinates (see CHANGELOG.md)."""
from vidsynth.utils.deprecation import moved_module
moved_module(__name__, "vidsynth.apps.digan.render", "vidsynth.models.digan.coordinates")
