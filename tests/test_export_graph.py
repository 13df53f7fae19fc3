"""vidsynth export --format torchscript|onnx: the graph, fed the inputs sample(n, frames, seed) draws,
returns the same videos as sample() on CPU."""
import json

import pytest
import torch

import vidsynth
from vidsynth.export_graph import example_inputs, export_graph

from tests.training.conftest import loop_config

# ONNX Runtime runs its own float32 kernels (other summation orders than PyTorch's): about 10 layers of sums over
# at most a few hundred products, each rounding at eps = 1.2e-7, measured 6e-6 at most on these models.
# 1e-4 leaves a margin while a real fault (a dropped layer, a wrong time or noise input) moves pixels by > 1e-2.
ONNX_ATOL = 1e-4


@pytest.fixture(scope="module")
def digan_run(tmp_path_factory):
    from vidsynth.config import method_config
    from vidsynth.training.loop import train

    return train(method_config("digan", "test"), loop_config(kimg=0.008, log="none"),
                 outdir=tmp_path_factory.mktemp("runs"), progress=False)


@pytest.fixture(scope="module")
def digan(digan_run):
    return vidsynth.load(digan_run)


@pytest.fixture(scope="module")
def mocogan():
    """A 16 px StyleGAN2 (noise mode per_video) with an LSTM motion generator and its fitted PCA."""
    from vidsynth.config import method_config
    from vidsynth.models.mocogan_hd.sampler import MoCoGANHDSampler
    from vidsynth.models.mocogan_hd.video_generator import MoCoGANHDVideoGenerator
    from vidsynth.training.mocogan_hd import motion_kwargs
    from vidsynth.training.stylegan2 import build_image_generator

    torch.manual_seed(0)
    g_i = build_image_generator(method_config("stylegan2", "test"))
    with torch.no_grad():   # StyleGAN2 starts with noise strength 0; a trained one uses its noise maps
        for name, p in g_i.named_parameters():
            if name.endswith("noise.weight"):
                p.fill_(0.5)
    g = MoCoGANHDVideoGenerator(type(g_i).__name__, g_i.init_kwargs,
                                motion_kwargs(method_config("mocogan-hd", "test"), g_i.latent_dim), image_generator=g_i)
    g.motion_generator.fit_pca(g_i, num_samples=256, batch_size=64, generator=torch.Generator().manual_seed(0),
                               progress=False)
    return MoCoGANHDSampler(g, {"train_frames": 4})


def _onnx_run(path, names, inputs):
    ort = pytest.importorskip("onnxruntime")
    out = ort.InferenceSession(str(path)).run(None, {k: v.numpy() for k, v in zip(names, inputs)})[0]
    return torch.from_numpy(out)


def test_torchscript_digan_reproduces_sample(digan, tmp_path):
    path = export_graph(digan, tmp_path, "torchscript", n=3, frames=5)
    graph = torch.jit.load(str(path))
    names, inputs = example_inputs(digan, 3, 5, seed=11)        # another seed than the traced one
    expected = digan.sample(3, frames=5, seed=11)
    assert names == ["z", "z_motion"] and expected.shape == (3, 3, 5, 16, 16)
    assert torch.equal(graph(*inputs), expected)                # same kernels, same order: bit-identical
    info = json.loads((tmp_path / "graph.json").read_text())
    assert info["frames"] == 5 and info["batch"] == 3 and info["output"]["shape"] == [3, 3, 5, 16, 16]


def test_torchscript_mocogan_reproduces_sample(mocogan, tmp_path):
    path = export_graph(mocogan, tmp_path, "torchscript", n=2, frames=4)
    names, inputs = example_inputs(mocogan, 2, 4, seed=3)
    assert names[:2] == ["w1", "motion_noise"] and len(names) == 2 + 5    # 5 noise maps of the 16 px StyleGAN2
    graph = torch.jit.load(str(path))
    assert torch.equal(graph(*inputs), mocogan.sample(2, frames=4, seed=3))
    # every input matters: other motion noise or other noise maps give other videos
    assert (graph(inputs[0], torch.zeros_like(inputs[1]), *inputs[2:]) - graph(*inputs)).abs().max() > 1e-2
    assert (graph(*inputs[:2], *[torch.zeros_like(m) for m in inputs[2:]]) - graph(*inputs)).abs().max() > 1e-2


def test_onnx_digan_reproduces_sample(digan, tmp_path):
    pytest.importorskip("onnxscript")
    path = export_graph(digan, tmp_path, "onnx", n=2, frames=4)
    names, inputs = example_inputs(digan, 2, 4, seed=5)
    out = _onnx_run(path, names, inputs)
    assert out.shape == (2, 3, 4, 16, 16)
    assert (out - digan.sample(2, frames=4, seed=5)).abs().max() < ONNX_ATOL


def test_onnx_mocogan_reproduces_sample(mocogan, tmp_path):
    pytest.importorskip("onnxscript")
    path = export_graph(mocogan, tmp_path, "onnx", n=2, frames=4)
    names, inputs = example_inputs(mocogan, 2, 4, seed=9)
    assert (_onnx_run(path, names, inputs) - mocogan.sample(2, frames=4, seed=9)).abs().max() < ONNX_ATOL


def test_cli_export_torchscript(digan_run, digan, tmp_path):
    from click.testing import CliRunner

    from vidsynth.cli import main

    result = CliRunner().invoke(main, ["export", str(digan_run), str(tmp_path / "g"), "--format", "torchscript",
                                       "--n", "2"])
    assert result.exit_code == 0, result.output
    graph = torch.jit.load(str(tmp_path / "g" / "model.pt"))
    names, inputs = example_inputs(digan, 2, 4, seed=0)          # frames default: the training clip length (4)
    assert torch.equal(graph(*inputs), digan.sample(2, frames=4, seed=0))
