"""The one definition of a run folder (training/run_dir.py) and where its model is, as used by
``vidsynth.load``, the metrics (fake inputs, metrics.jsonl), the report and the Hub export."""
import json

import pytest

import vidsynth
from vidsynth.errors import CheckpointError, VidsynthError
from vidsynth.training.run_dir import (find_run_folder, is_model_folder, is_run_folder, read_run_config,
                                       require_run_folder, resolve_model_folder)

RUN_CONFIG = {"method": {"method": "digan"}, "loop": {"data": "builtin:shapes"}}
MODEL_CONFIG = {"class_name": "DIGANGenerator", "version": 1, "kwargs": {}, "metadata": {}}


def _folder(path, config=None):
    path.mkdir(parents=True)
    if config is not None:
        (path / "config.json").write_text(config if isinstance(config, str) else json.dumps(config))
    return path


def test_a_run_folder_is_a_config_with_training_options(tmp_path):
    run = _folder(tmp_path / "00000-digan-shapes", RUN_CONFIG)
    assert is_run_folder(run) and read_run_config(run) == RUN_CONFIG
    assert require_run_folder(run) == run
    exported = _folder(tmp_path / "export", MODEL_CONFIG)          # an exported model: no training options
    torn = _folder(tmp_path / "torn", '{"loop": ')                 # a config.json cut by a crash
    listed = _folder(tmp_path / "list", "[1]")                     # JSON that is not a record
    for folder in (exported, torn, listed, _folder(tmp_path / "empty"), tmp_path / "missing"):
        assert not is_run_folder(folder), folder
    with pytest.raises(VidsynthError, match="'.*export' is not a vidsynth run folder"):
        require_run_folder(exported)


def test_the_run_a_model_came_from(tmp_path):
    run = _folder(tmp_path / "run", RUN_CONFIG)
    snapshot = _folder(run / "model-000000.008", MODEL_CONFIG)
    (run / "checkpoints").mkdir()
    assert find_run_folder(run) == run
    assert find_run_folder(snapshot) == run
    assert find_run_folder(run / "checkpoints" / "training_state-000000.008.pt") == run
    assert find_run_folder(_folder(tmp_path / "export", MODEL_CONFIG)) is None


def test_where_the_model_is(tmp_path):
    run = _folder(tmp_path / "run", RUN_CONFIG)
    with pytest.raises(CheckpointError, match="training run without an exported model yet"):
        resolve_model_folder(run)
    model = _folder(run / "model", MODEL_CONFIG)
    assert resolve_model_folder(run) == model                         # a run: its latest export
    assert resolve_model_folder(model) == model                       # an exported model folder itself
    empty = _folder(tmp_path / "empty")
    with pytest.raises(CheckpointError, match="holds no exported model"):
        resolve_model_folder(empty)
    assert is_model_folder(run) and is_model_folder(model) and not is_model_folder(empty)
    assert not is_model_folder(tmp_path / "missing")


def test_load_names_the_missing_model(tmp_path):
    """End to end through the public API: vidsynth.load on a run stopped before its first snapshot."""
    run = _folder(tmp_path / "00001-digan-shapes", RUN_CONFIG)
    with pytest.raises(CheckpointError, match="without an exported model yet"):
        vidsynth.load(run)
