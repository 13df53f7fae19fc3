"""Importers for generator checkpoints written by other code bases (read safely, checked strictly)."""
