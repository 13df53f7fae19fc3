"""The demos behind ``vidsynth demo``: train a tiny model within a CPU time budget, then write
samples and a measured real-vs-generated summary.

- ``digan.py``: ``run_digan_demo`` (one DIGAN run) and its summary text;
- ``mocogan_hd.py``: ``run_mocogan_demo`` (both MoCoGAN-HD stages: image G, then motion G);
- ``stats.py``: ``video_statistics`` and the real-vs-generated rows both summaries print.

Until 0.2 this was one module, ``vidsynth/demo.py``; its names still resolve here for one release
with a DeprecationWarning (see CHANGELOG.md).
"""
from vidsynth.utils.deprecation import moved_names

__getattr__ = moved_names(__name__, {
    "video_statistics": "vidsynth.demo.stats",
    "side_by_side": "vidsynth.demo.digan",
    "run_digan_demo": "vidsynth.demo.digan",
    "format_summary": "vidsynth.demo.digan",
    "demo_command": "vidsynth.cli.demo",
})
