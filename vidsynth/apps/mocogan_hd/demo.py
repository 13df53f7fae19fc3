"""Deprecated: moved to vidsynth.demo.mocogan_hd (see CHANGELOG.md)."""
from vidsynth.utils.deprecation import moved_module
moved_module(__name__, "vidsynth.demo.mocogan_hd")
