"""The 0.2 restructure keeps every old import path for one release: each shim warns, resolves to
its new module, is listed in CHANGELOG.md, and no code of ours (package, tests, docs, scripts)
still uses an old path."""
import ast
import json
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "vidsynth"


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def find_shims() -> dict[str, tuple]:
    """old module name -> new module names, from every ``moved_module(__name__, "...")`` call."""
    shims = {}
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "moved_module":
                shims[_module_name(path)] = tuple(a.value for a in node.args[1:])
    return shims


SHIMS = find_shims()


def test_moved_module_aliases_and_warns(tmp_path):
    # a throwaway package proves the mechanism even before any module has moved
    pkg = tmp_path / "shimpkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "old.py").write_text(
        "from vidsynth.utils.deprecation import moved_module\nmoved_module(__name__, 'json')\n")
    code = (
        "import warnings, json, sys\n"
        "with warnings.catch_warnings(record=True) as w:\n"
        "    warnings.simplefilter('always')\n"
        "    from shimpkg.old import dumps\n"
        "    import shimpkg.old as old\n"
        "print(json.dumps([old is json, dumps is json.dumps, len(w), str(w[0].category.__name__),\n"
        "                  str(w[0].message), w[0].filename]))\n"
    )
    script = tmp_path / "user.py"
    script.write_text(code)
    out = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True,
                         env={"PYTHONPATH": f"{ROOT}:{tmp_path}", "PATH": "/usr/bin:/bin"}, check=True)
    same, same_attr, n, category, message, filename = json.loads(out.stdout)
    assert same and same_attr
    assert n == 1  # the second import finds sys.modules and does not warn again
    assert category == "DeprecationWarning"
    assert message.startswith("shimpkg.old moved to json in vidsynth 0.2")
    assert filename == str(script)  # the warning names the importer's line, not importlib's


def test_every_shim_warns_resolves_and_is_documented():
    changelog = (ROOT / "CHANGELOG.md").read_text()
    for old, new in SHIMS.items():
        for name in (old, *new):
            assert f"`{name}`" in changelog, f"{old} -> {new}: `{name}` missing in CHANGELOG.md"
    if not SHIMS:
        return
    code = (
        "import importlib, json, sys, warnings\n"
        f"shims = {SHIMS!r}\n"
        "result = {}\n"
        "for old, new in shims.items():\n"
        "    with warnings.catch_warnings(record=True) as w:\n"
        "        warnings.simplefilter('always')\n"
        "        mod = importlib.import_module(old)\n"
        "    targets = [importlib.import_module(n) for n in new]\n"
        "    same = mod is targets[0] if len(targets) == 1 else all(\n"
        "        getattr(mod, k) is v for t in targets for k, v in vars(t).items() if not k.startswith('_'))\n"
        "    result[old] = [same,\n"
        "                   any(issubclass(x.category, DeprecationWarning) and old in str(x.message) for x in w)]\n"
        "print(json.dumps(result))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    result = json.loads(out.stdout)
    bad = {old: r for old, r in result.items() if r != [True, True]}
    assert not bad, f"shims that do not alias+warn: {bad}"


def _uses_of(old: str, text: str) -> bool:
    return re.search(rf"(?<![\w.]){re.escape(old)}(?![\w])", text) is not None or (
        # "from vidsynth.apps import render" style
        "." in old and re.search(rf"from {re.escape(old.rsplit('.', 1)[0])} import [^\n]*\b{old.rsplit('.', 1)[1]}\b", text) is not None)


def test_no_code_of_ours_uses_an_old_path():
    """Old paths exist for users only: the package, tests, scripts and docs use the new ones."""
    sources = [p for folder in ("vidsynth", "tests", "scripts") for p in (ROOT / folder).rglob("*.py")
               if p.name != "test_deprecations.py" and _module_name(p) not in SHIMS]
    sources += [*(ROOT / "docs").rglob("*.md"), ROOT / "README.md"]
    offenders = [f"{p.relative_to(ROOT)} uses {old}" for p in sources for old in SHIMS if _uses_of(old, p.read_text())]
    assert not offenders, "\n".join(offenders)
