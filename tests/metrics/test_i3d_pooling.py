"""The I3D's separable max pooling is exactly TF 'SAME' max pooling (F.max_pool3d on a -inf padded input)."""
import math

import pytest
import torch
import torch.nn.functional as F

from vidsynth.metrics.i3d import MaxPoolSame, pad_same, separable_max_pool


@pytest.mark.parametrize("kernel,stride", [((3, 3, 3), (1, 1, 1)), ((3, 3, 3), (2, 2, 2)), ((2, 2, 2), (2, 2, 2)),
                                           ((1, 3, 3), (1, 2, 2)), ((3, 2, 3), (2, 1, 2))])
@pytest.mark.parametrize("shape", [(2, 5, 8, 14, 14), (1, 3, 7, 9, 11)])
def test_separable_pool_is_exact(kernel, stride, shape):
    x = torch.randn(shape).contiguous(memory_format=torch.channels_last_3d)
    want = F.max_pool3d(pad_same(x, kernel, stride, value=-math.inf), kernel, stride)
    got = separable_max_pool(x, kernel, stride)
    assert torch.equal(got, want)                         # max is exact: no tolerance
    pool = MaxPoolSame(kernel, stride)
    assert pool.separable == (kernel[0] > 1) and torch.equal(pool(x), want)
