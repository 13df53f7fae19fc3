"""Deprecated: moved to vidsynth.cli.generate and vidsynth.apps.digan.modes (see CHANGELOG.md)."""
from vidsynth.utils.deprecation import moved_module
moved_module(__name__, "vidsynth.cli.generate", "vidsynth.apps.digan.modes")
