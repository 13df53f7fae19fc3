"""Make the golden fixtures tests/fixtures/official_<name>*.npz from the papers' official code.

    python scripts/make_official_fixtures.py digan --official /path/to/sihyun-yu/digan [--out tests/fixtures]
    python scripts/make_official_fixtures.py mocogan_hd --official /path/to/snap-research/MoCoGAN-HD

Each name dispatches to ``scripts/official_fixtures/<name>.py``, whose ``main(official_checkout, out_dir)``
builds the official networks at a small configuration and writes numbers only (weights, inputs, outputs,
loss terms, gradient norms). The official code is fetched by whoever regenerates the fixtures (like
``scripts/make_i3d_fixture.py``); it is never a dependency of vidsynth or of its tests.
"""
from __future__ import annotations

import argparse
import importlib.util
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
NAMES = ("digan", "mocogan_hd")


def load(name: str):
    """The fixture module ``scripts/official_fixtures/<name>.py``."""
    path = HERE / "official_fixtures" / f"{name}.py"
    if not path.is_file():
        print(f"error: no fixture maker {path} (not written yet)", file=sys.stderr)
        raise SystemExit(2)
    spec = importlib.util.spec_from_file_location(f"official_fixtures_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("name", choices=NAMES, help="which paper's official code")
    ap.add_argument("--official", required=True, type=Path, help="a checkout of that official repository")
    ap.add_argument("--out", default=HERE.parent / "tests" / "fixtures", type=Path, help="folder for the .npz files")
    args = ap.parse_args(argv)
    if not args.official.is_dir():
        print(f"error: --official {args.official}: no such folder; fetch the official repository first", file=sys.stderr)
        return 2
    load(args.name).main(args.official, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
