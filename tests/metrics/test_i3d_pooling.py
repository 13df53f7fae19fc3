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


def test_cpu_feature_path_runs_two_clips_per_thread_in_order(monkeypatch):
    """features.I3DLogits splits a batch into 2-clips-per-thread pieces (fastest per clip), in order."""
    from vidsynth.metrics import features

    seen = []

    def model(x):  # stand-in network: [B, 3, T, 224, 224] -> [B, 400], remembers batch sizes
        seen.append(len(x))
        return x.mean(dim=(1, 2, 3, 4))[:, None].repeat(1, 400)

    net = features.I3DLogits.__new__(features.I3DLogits)
    net.device, net.resize, net.model = torch.device("cpu"), "tf1_bilinear", model
    videos = torch.linspace(-1, 1, 5)[:, None, None, None, None].expand(5, 3, 9, 8, 8)
    monkeypatch.setattr(torch, "get_num_threads", lambda: 1)
    out = net(videos)
    assert seen == [2, 2, 1] and features.CPU_CLIPS_PER_THREAD == 2
    monkeypatch.setattr(torch, "get_num_threads", lambda: 2)
    seen.clear()
    assert torch.equal(net(videos), out) and seen == [4, 1]
    assert torch.allclose(out[:, 0], torch.linspace(-1, 1, 5))  # clip i's features in row i
