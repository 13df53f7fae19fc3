"""Measure the demo's FVD baselines of the built-in sets and write ``vidsynth/demo/shipped_baselines.json``.

The demo (``vidsynth demo``) compares its FVD with two baselines of its dataset: held-out real clips (the
noise floor) and their first frames held still (static). For the built-in sets they are the same numbers on
every machine, so the package ships them instead of spending a first demo's time on them. Run this after a
change to the built-in renderers, the clip sampling, the I3D or the demo's protocol
(``tests/test_demo.py::test_shipped_baselines_match_a_measurement`` fails until then):

    python scripts/make_demo_baselines.py            # ~75 s on one thread

Only the demo's default set ships (each shipped set costs the test suite a measurement); others are
measured by the first demo on them and cached.
"""
from __future__ import annotations

import argparse
import json
import tempfile
import time

import torch


def main() -> None:
    from vidsynth.config import method_config
    from vidsynth.demo import baselines as demo_baselines
    from vidsynth.utils.files import atomic_write_text

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", nargs="+", default=["builtin:scene"])   # the demo's default set
    parser.add_argument("--out", default=str(demo_baselines.SHIPPED))
    args = parser.parse_args()
    cfg = method_config("digan", "tiny")           # the demo's model and so its real clips
    entries = []
    for data in args.data:
        proto = demo_baselines.protocol(data, cfg.resolution, cfg.stride, demo_baselines.DEMO_CLIPS, 0,
                                        cfg.clip_sampling)
        start = time.time()
        base = demo_baselines.measure_baselines(data, proto["resolution"], proto["stride"], proto["seed"],
                                                torch.device("cpu"), proto["clips"], proto["clip_sampling"])
        print(f"{data}: noise floor {base['noise_floor']:.4f}, static {base['static']:.4f}; "
              f"{time.time() - start:.0f} s", flush=True)
        entries.append({"protocol": proto, **{k: round(v, 4) for k, v in base.items()}})
    atomic_write_text(args.out, json.dumps({
        "note": "fvd64_16f baselines of the built-in sets at the demo's protocol; made by "
                "scripts/make_demo_baselines.py, checked by tests/test_demo.py",
        "entries": entries}, indent=1) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as cache:   # measured from scratch: no cached real statistics
        import os
        os.environ["VIDSYNTH_CACHE"] = cache
        main()
