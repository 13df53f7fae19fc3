#!/usr/bin/env python
"""Time the official DIGAN / MoCoGAN-HD generator alone, in a process of its own (issue 18).

``vidsynth bench --measure official`` interleaves the official code with ours in one process. The official
code's speed depends on the allocator state the process is in (measured: official MoCoGAN-HD 13-16 s per
16-frame video in its own process, 8-10 s after our code had grown the heap to 3.3 GB once), so this script
gives the official code's own-process time to check the side by side against:

    python scripts/official_alone.py mocogan-hd ~/MoCoGAN-HD --videos 4 --threads 2

Prints one JSON line per video: wall seconds, user and system CPU seconds, minor page faults.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    parser.add_argument("method", choices=["digan", "mocogan-hd"])
    parser.add_argument("checkout", type=Path, help="checkout of the official repository")
    parser.add_argument("--videos", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--frames", type=int, default=16)
    parser.add_argument("--config", default=None, help="vidsynth config of the side by side (default: the bench's)")
    args = parser.parse_args(argv)

    import torch

    from vidsynth.bench.official import CONFIGS, LOADERS, check_checkouts
    from vidsynth.bench.subjects import get_subject
    from vidsynth.bench.timing import CPUTime
    from vidsynth.errors import VidsynthError

    torch.set_num_threads(args.threads)
    try:
        checkout = check_checkouts({args.method: args.checkout})[args.method]
    except VidsynthError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    subject = get_subject(args.config or CONFIGS[args.method])
    subject.build("cpu")
    with LOADERS[args.method](checkout, subject, args.frames) as generate:
        for video in range(args.videos):
            with CPUTime() as cpu:
                start = time.perf_counter()
                generate()
                wall = time.perf_counter() - start
            print(json.dumps({"method": args.method, "video": video, "wall_s": round(wall, 3),
                              "user_s": round(cpu.user_s, 3), "sys_s": round(cpu.sys_s, 3),
                              "minor_faults": cpu.minor_faults}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
