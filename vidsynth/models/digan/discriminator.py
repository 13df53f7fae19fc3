"""Deprecated: moved to vidsynth.models.digan.discriminators (see CHANGELOG.md)."""
from vidsynth.utils.deprecation import moved_module
moved_module(__name__, "vidsynth.models.digan.discriminators")
