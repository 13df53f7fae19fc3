"""Utilities every layer may use (files, seeding, deprecation); they import nothing else from vidsynth
except ``vidsynth.errors``."""
