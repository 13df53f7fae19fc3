"""Datasets for training video generators: built-in procedural videos, video files, frame folders
and zips of either, served as fixed-size uint8 clips ``[3, T, R, R]`` (see ``docs/data.md``)."""
from vidsynth.data.clips import ClipDataset, iterate_batches, open_dataset
from vidsynth.data.naming import natural_key, natural_sorted
from vidsynth.data.sources import open_source
from vidsynth.data.synthetic import BUILTINS

__all__ = ["ClipDataset", "open_dataset", "iterate_batches", "open_source", "natural_key", "natural_sorted",
           "BUILTINS"]
