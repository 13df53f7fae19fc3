"""Deprecated: split into vidsynth.apps.digan.project and vidsynth.apps.digan.predict (see CHANGELOG.md)."""
from vidsynth.utils.deprecation import moved_module
moved_module(__name__, "vidsynth.apps.digan.project", "vidsynth.apps.digan.predict")
