"""Property-based fuzzing of checkpoint and config structures (beside the loader fuzz).

Whatever a resume checkpoint holds (that the safe loader lets through: dicts, lists, tuples, numbers,
strings, tensors), ``checkpoint.load`` then the resume config step either work or raise a
``VidsynthError`` -- never a KeyError, TypeError, RecursionError or a hang. The same for the
``--set`` overrides of every method's config and for an exported model's ``config.json`` metadata.

Deterministic by default (the ``ci`` profile of test_fuzz_loader: 30 fixed examples per test);
``HYPOTHESIS_PROFILE=fuzz`` explores 500 random ones.
"""
from __future__ import annotations

import dataclasses
import json
import math
import shutil

import pytest
import torch
from hypothesis import example, given
from hypothesis import strategies as st

from vidsynth.config import METHOD_CONFIGS, LoopConfig, apply_overrides, method_config, validate_loop, validate_method
from vidsynth.errors import CheckpointError, VidsynthError
from vidsynth.training import checkpoint as ckpt

from .test_fuzz_loader import PROFILE

SCALARS = (st.none() | st.booleans() | st.integers(-2 ** 70, 2 ** 70) | st.floats(allow_nan=True)
           | st.text(max_size=12))
TENSORS = st.builds(lambda n, v: torch.full((n,), v), st.integers(0, 3), st.floats(-1e3, 1e3))
KEYS = (st.sampled_from(["trainer", "step", "nimg", "method", "config", "G", "D", "lr", "kimg", "loop"])
        | st.text(max_size=6))


def values(leaves):
    """Nested dicts / lists / tuples of ``leaves``, a few levels deep (shared sub-lists included)."""
    return st.recursive(leaves, lambda inner: st.lists(inner, max_size=4) | st.tuples(inner, inner)
                        | st.dictionaries(KEYS, inner, max_size=4) | inner.map(lambda x: [x, x]), max_leaves=20)


@st.composite
def checkpoint_states(draw):
    """A valid resume state with some entries replaced by anything the safe loader accepts."""
    cfg, loop = method_config("digan", "test"), LoopConfig()
    state = {"trainer": {"G": {"w": torch.zeros(2)}}, "step": 4, "nimg": 16, "method": "digan",
             "config": {"method": dataclasses.asdict(cfg), "loop": dataclasses.asdict(loop)}}
    for _ in range(draw(st.integers(1, 3))):
        where = draw(st.sampled_from(["top", "trainer", "method", "loop"]))
        key, value = draw(KEYS), draw(values(SCALARS | TENSORS))
        if where == "top":
            key = draw(st.sampled_from(["trainer", "step", "nimg", "method", "config"]) | KEYS)
            state[key] = value
        elif where == "trainer" and isinstance(state.get("trainer"), dict):
            state["trainer"][key] = value
        elif isinstance(state.get("config"), dict) and isinstance(state["config"].get(where), dict):
            target = state["config"][where]
            target[draw(st.sampled_from(sorted(target)) | KEYS)] = value
    return state


@PROFILE
@given(state=checkpoint_states())
def test_any_checkpoint_structure_loads_or_is_refused(tmp_path_factory, state):
    from vidsynth.training.loop import _resume_configs

    path = tmp_path_factory.mktemp("ck") / "checkpoints" / "training_state-000000004.pt"
    path.parent.mkdir()
    torch.save(state, path)
    try:
        loaded = ckpt.load(path)
    except CheckpointError:
        return
    try:
        cfg, loop = _resume_configs(method_config("digan", "test"), LoopConfig(), loaded, None, False)
    except VidsynthError:
        return
    validate_method(cfg)  # whatever came through is a valid config
    assert isinstance(loaded["step"], int) and 0 <= loaded["nimg"] <= 2 ** 53
    shutil.rmtree(path.parent.parent, ignore_errors=True)


@PROFILE
@given(method=st.sampled_from(sorted(METHOD_CONFIGS)),
       overrides=st.dictionaries(st.sampled_from(["resolution", "batch", "lr", "frames", "stride", "beta1", "beta2",
                                                  "mbstd_group", "g_steps", "n_pca", "pca_samples", "z_dim",
                                                  "diffaugment", "xflip", "family", "input_resolution",
                                                  "g_channel_base", "nonsense"]),
                                 SCALARS | st.sampled_from(["nan", "inf", "-1", "0", "1e3", "3", "256", "abc"]),
                                 max_size=4))
@example(method="stylegan2", overrides={"lr": "nan"})  # the cases always run, whatever is drawn
@example(method="mocogan-hd", overrides={"g_steps": 0})
@example(method="digan", overrides={"resolution": 256})
def test_any_set_overrides_validate_or_are_refused(method, overrides):
    preset = "test"
    try:
        cfg = method_config(method, preset, overrides)
        validate_method(cfg)
    except VidsynthError:
        return
    for f in dataclasses.fields(cfg):  # accepted: every number is finite, every count positive
        value = getattr(cfg, f.name)
        if isinstance(value, float):
            assert math.isfinite(value), f.name
    assert cfg.batch >= 1 and cfg.resolution >= 4 and cfg.lr > 0
    assert getattr(cfg, "g_steps", 1) >= 1 and getattr(cfg, "g_channel_base", cfg.resolution) >= cfg.resolution


@PROFILE
@given(overrides=st.dictionaries(st.sampled_from([f.name for f in dataclasses.fields(LoopConfig)] + ["bogus"]),
                                 SCALARS, max_size=4))
def test_any_loop_overrides_validate_or_are_refused(overrides):
    try:
        validate_loop(apply_overrides(LoopConfig(), overrides))
    except VidsynthError:
        pass


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    from vidsynth.export import save_model
    from vidsynth.models.digan.generator import DIGANGenerator
    from vidsynth.training.digan import generator_kwargs

    kwargs = generator_kwargs(method_config("digan", "test"), 0)
    folder = tmp_path_factory.mktemp("model") / "model"
    save_model(DIGANGenerator(**kwargs), folder, kwargs, {"fps": 8, "train_frames": 4})
    return folder


@PROFILE
@given(metadata=values(SCALARS), extra=st.dictionaries(st.sampled_from(["fps", "train_frames", "class_names"]),
                                                        values(SCALARS), max_size=3))
def test_any_model_metadata_loads_or_is_refused(exported, tmp_path_factory, metadata, extra):
    import vidsynth

    folder = tmp_path_factory.mktemp("m") / "model"
    shutil.copytree(exported, folder)
    config = json.loads((folder / "config.json").read_text())
    config["metadata"] = dict(extra) if not isinstance(metadata, dict) else {**metadata, **extra}
    try:
        text = json.dumps(config)
    except ValueError:  # a shared sub-list that json cannot write: not a file anyone can make
        return
    (folder / "config.json").write_text(text)
    try:
        sampler = vidsynth.load(folder)
    except VidsynthError:
        return
    assert 1 <= sampler.fps <= 100_000 and all(isinstance(c, str) for c in sampler.class_names)
