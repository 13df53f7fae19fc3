"""Golden values: a few output numbers of every model family and every loss term of each method, pinned.

An accidental change of an architecture, an initialisation or a loss moves them and fails here; an
intended one regenerates ``expected.py`` with ``scripts/print_golden_values.py`` and justifies it in
the commit message (docs/testing.md).
"""
import math

import pytest
import torch

from tests.golden.cases import CASES
from tests.golden.expected import EXPECTED

# Tolerance. The cases run in float32 (unit roundoff u = 6e-8). Another x86-64 processor (AVX2 vs
# AVX-512 kernels, another thread count) sums the same products in another order; a length-K dot
# product then moves by at most K*u of its absolute sum, K <= ~600 here (16 channels x 3x3 taps x
# 4 rows), i.e. <= 4e-5 relative per layer, and rounding compounds over the <= ~12 layers of these
# nets to <= ~5e-4 relative in the worst case (typical: sqrt(K)*u ~ 1e-6). rtol 1e-3 covers that;
# atol 1e-4 covers values that are near 0 relative to the O(1) outputs they are part of. A changed
# layer, initialisation, sign or target moves these numbers by 1e-2 to 1e0.
RTOL, ATOL = 1e-3, 1e-4


def test_every_case_is_pinned():
    """A new case needs its values in expected.py, and a removed case must leave it."""
    assert sorted(CASES) == sorted(EXPECTED), "regenerate tests/golden/expected.py (scripts/print_golden_values.py)"


@pytest.mark.parametrize("name", sorted(CASES))
def test_golden(name):
    """The case's numbers equal the pinned ones (value and sign)."""
    torch.set_num_threads(1)   # cases are pinned single-threaded; another thread count stays inside the tolerance
    got, want = CASES[name](), EXPECTED[name]
    assert sorted(got) == sorted(want), f"{name}: keys changed"
    moved = {k: (want[k], got[k]) for k in want if not math.isclose(got[k], want[k], rel_tol=RTOL, abs_tol=ATOL)}
    assert not moved, f"{name}: pinned -> now {moved}"
