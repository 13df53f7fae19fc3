"""IS with tiny TorchScript classifiers, ACD, motion diversity."""
import numpy as np
import pytest
import torch

from vidsynth.metrics.acd import average_content_distance
from vidsynth.metrics.features import VideoClassifier
from vidsynth.metrics.inception_score import inception_score
from vidsynth.metrics.motion_diversity import motion_diversity

pytestmark = pytest.mark.filterwarnings("ignore:`torch.jit.script` is deprecated:DeprecationWarning")


class UniformClassifier(torch.nn.Module):
    def forward(self, x):
        return torch.zeros(x.shape[0], 5)


class BrightnessClassifier(torch.nn.Module):
    """Class k for a video whose mean value is near centre k: sharply one-hot."""

    def forward(self, x):
        centres = torch.tensor([-0.75, -0.25, 0.25, 0.75])
        m = x.mean(dim=(1, 2, 3, 4))[:, None]
        return -1000.0 * (m - centres) ** 2


def script(module, tmp_path, name):
    path = tmp_path / name
    torch.jit.script(module).save(str(path))
    return path


def test_is_uniform_is_one_and_one_hot_is_num_classes(tmp_path):
    videos = torch.stack([torch.full((3, 4, 8, 8), c) for c in (-0.75, -0.25, 0.25, 0.75)])
    uniform = VideoClassifier(script(UniformClassifier(), tmp_path, "u.pt"))
    assert inception_score(uniform(videos), splits=1)[0] == pytest.approx(1.0)
    onehot = VideoClassifier(script(BrightnessClassifier(), tmp_path, "b.pt"))
    probs = onehot(videos)
    assert probs.argmax(1).tolist() == [0, 1, 2, 3]
    assert inception_score(probs, splits=1)[0] == pytest.approx(4.0, rel=1e-6)
    # all videos in one class -> 1 again
    assert inception_score(onehot(videos[:1].repeat(4, 1, 1, 1, 1)), splits=1)[0] == pytest.approx(1.0)


def test_is_without_classifier_says_why():
    from vidsynth.errors import ConfigError
    from vidsynth.metrics import evaluate
    from tests.metrics.helpers import FakeSampler

    with pytest.raises(ConfigError, match="C3D"):
        evaluate(["is4_8f"], fake=FakeSampler(), progress=False)


def test_acd_hand_values():
    f = np.zeros((2, 3, 2))
    f[0, :, 0] = [0, 3, 3]      # steps 3 and 0 -> 1.5
    f[1, :, 1] = [0, 0, 4]      # steps 0 and 4 -> 2
    assert average_content_distance(f) == pytest.approx(1.75)


def test_motion_diversity():
    still = torch.zeros(1, 3, 4, 8, 8).repeat(5, 1, 1, 1, 1)
    assert motion_diversity(still) == 0.0
    a, b = torch.zeros(3, 4, 8, 8), torch.ones(3, 4, 8, 8)
    assert motion_diversity(torch.stack([a, b])) == pytest.approx(np.std([0, 1], ddof=1))
