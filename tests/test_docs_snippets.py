"""The ```python blocks of README.md and docs/*.md work: every block compiles, its imports run and the
attributes it uses on imported modules exist (a wrong module or function name fails); the blocks listed
in RUNNABLE are executed in full against tiny models, their example paths replaced by real ones."""
import ast
import importlib
import re
import types
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FENCE = re.compile(r"^```python\n(.*?)^```", re.S | re.M)

# Blocks executed in full, keyed by (file, first two lines of the block). The other blocks need a user's data
# (~/videos, ~/ucf101), minutes of training or a GPU, or are excerpts of larger code: checked statically.
RUNNABLE = {
    ("docs/digan_apps.md", "import torch, vidsynth | from vidsynth.apps.digan import render"),
    ("docs/mocogan_hd_training.md", 'import vidsynth | g = vidsynth.load("runs/00007-mocogan-hd-vox")'),
    ("docs/report.md", 'from vidsynth.report import write_report | write_report("runs/00003-digan-shapes")'),
    ("docs/stylegan2.md", "import torch | from vidsynth.export import load_model, save_model"),
    ("docs/runs.md", "import torch, vidsynth | from vidsynth.export_graph import example_inputs, export_graph"),
}


def _blocks():
    for path in DOCS:
        for i, m in enumerate(FENCE.finditer(path.read_text())):
            code = m.group(1)
            rel = str(path.relative_to(ROOT))
            yield pytest.param(rel, i, code, id=f"{rel}#{i}")


BLOCKS = list(_blocks())


def _first_line(code: str) -> str:
    """The first two lines without comments, joined by " | " (the key of RUNNABLE)."""
    return " | ".join(line.split("#")[0].strip() for line in code.strip().splitlines()[:2])


def _resolve(module: types.ModuleType, names: list[str], where: str) -> None:
    obj = module
    for name in names:
        if isinstance(obj, types.ModuleType) and not hasattr(obj, name):
            try:
                obj = importlib.import_module(f"{obj.__name__}.{name}")
                continue
            except ImportError:
                pass
        if not hasattr(obj, name):
            raise AssertionError(f"{where}: {getattr(obj, '__name__', obj)!s} has no attribute {name!r}")
        obj = getattr(obj, name)
        if not isinstance(obj, (types.ModuleType, type)):
            return                                  # a function or value: what it returns is not checked


def check_statically(code: str, where: str) -> None:
    """Compile; run every import; check attribute chains that start at an imported module or class."""
    tree = ast.parse(code, where)
    compile(tree, where, "exec")
    namespace: dict = {}
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            exec(compile(ast.Module([node], type_ignores=[]), where, "exec"), namespace)
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            chain, inner = [], node
            while isinstance(inner, ast.Attribute):
                chain.insert(0, inner.attr)
                inner = inner.value
            if isinstance(inner, ast.Name) and isinstance(namespace.get(inner.id), (types.ModuleType, type)):
                _resolve(namespace[inner.id], chain, f"{where}: {inner.id}.{'.'.join(chain)}")


@pytest.mark.parametrize("rel, index, code", BLOCKS)
def test_block_imports_and_names_exist(rel, index, code):
    check_statically(code, f"{rel} block {index}")


def test_static_check_catches_a_wrong_module_or_name():
    with pytest.raises(ModuleNotFoundError):
        check_statically("from vidsynth.models.export_format import load_model\n", "x")
    with pytest.raises(AssertionError, match="no attribute 'laod'"):
        check_statically("import vidsynth\ng = vidsynth.laod('x')\n", "x")
    with pytest.raises(SyntaxError):
        check_statically("g = vidsynth.load(\n", "x")


def test_every_runnable_block_is_still_in_the_docs():
    present = {(rel, _first_line(code)) for rel, _, code in (p.values for p in BLOCKS)}
    assert RUNNABLE <= present, f"RUNNABLE names blocks that no longer exist: {RUNNABLE - present}"


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    """The example paths of the runnable blocks -> tiny real ones."""
    from vidsynth.config import method_config
    from vidsynth.export import save_model
    from vidsynth.models.mocogan_hd.video_generator import MoCoGANHDVideoGenerator
    from vidsynth.training.loop import train
    from vidsynth.training.mocogan_hd import motion_kwargs
    from vidsynth.training.stylegan2 import build_image_generator

    from tests.training.conftest import loop_config

    root = tmp_path_factory.mktemp("docs_models")
    digan = train(method_config("digan", "test"), loop_config(kimg=0.004, log="none"), outdir=root / "runs",
                  progress=False)
    torch.manual_seed(0)
    g_i = build_image_generator(method_config("stylegan2", "test"))
    stylegan2 = save_model(g_i, root / "stylegan2", g_i.init_kwargs)
    video = MoCoGANHDVideoGenerator(type(g_i).__name__, g_i.init_kwargs,
                                    motion_kwargs(method_config("mocogan-hd", "test"), g_i.latent_dim),
                                    image_generator=g_i)
    video.motion_generator.fit_pca(g_i, num_samples=256, batch_size=64, generator=torch.Generator().manual_seed(0),
                                   progress=False)
    mocogan = save_model(video, root / "mocogan", video.init_kwargs, {"train_frames": 4})
    return {"runs/00000-digan-shapes": digan, "runs/00003-digan-shapes": digan,
            "runs/00007-mocogan-hd-vox": mocogan, "models/ffhq1024": stylegan2}


@pytest.mark.parametrize("rel, index, code", [p for p in BLOCKS if (p.values[0], _first_line(p.values[2])) in RUNNABLE])
def test_runnable_block_executes(rel, index, code, models, tmp_path, monkeypatch):
    for example, real in models.items():
        code = code.replace(f'"{example}"', repr(str(real)))
    monkeypatch.chdir(tmp_path)                     # files the snippet writes land here
    exec(compile(code, f"{rel} block {index}", "exec"), {"__name__": "__docs__"})
