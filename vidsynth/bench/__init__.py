"""Benchmarks of vidsynth's generators and discriminators (``vidsynth bench``).

One file per measurement kind: ``flops`` (counting), ``timing`` and ``memory`` (how to measure),
``subjects`` (the named configurations of both methods), ``generation``, ``discriminator``,
``training``, ``i3d``, ``long_video``, ``speedups`` (variant ratios), ``head_to_head`` (DIGAN vs
MoCoGAN-HD, interleaved), ``digan_upsample_commute`` (DIGAN's first up-block layer: official concat vs our exact commuted form),
``paper`` (the DIGAN paper's reference numbers), ``official`` / ``official_code`` (the papers' official
generators side by side with ours, imported from checkouts at run time), ``memory_report``
(``--measure memory``), ``settings``, ``runner`` (runs everything, returns
one JSON-able dict) and ``table`` (terminal / Markdown output). See docs/performance.md.
"""
from vidsynth.bench.runner import run_bench
from vidsynth.bench.subjects import SUBJECTS, get_subject

__all__ = ["run_bench", "SUBJECTS", "get_subject"]
