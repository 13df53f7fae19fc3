#!/usr/bin/env python3
"""Mutation check: break the code on purpose and make sure the tests notice.

Every ``scripts/mutations/*.json`` holds a list of known mutations::

    {"name": "resume-not-loaded", "file": "vidsynth/training/loop.py",
     "find": "exact source text", "replace": "mutated text",
     "tests": ["tests/training/test_resume.py::test_resumed_process_starts_at_the_checkpoint_step", ...]}

``find`` must occur exactly once in ``file``. The repository (package, tests, scripts, pyproject) is
copied once to a temporary folder; each mutation is applied there alone, its listed tests run
(``pytest -x``, ``PYTHONPATH`` = the copy, ``OMP_NUM_THREADS=1``) and the file is restored. A
mutation is *killed* when a listed test fails, *survived* when they all pass. Before that, the
listed tests run once on the unmutated copy (the baseline): a test that already fails would "kill"
every mutation and prove nothing.

    python scripts/mutation_check.py                  # everything; exit 1 if any mutation survives
    python scripts/mutation_check.py --list           # names, files and test counts
    python scripts/mutation_check.py --only NAME ...  # some mutations (repeatable; prefix* allowed)
    python scripts/mutation_check.py --file scripts/mutations/h11-tests.json
    python scripts/mutation_check.py --stale          # seconds: entries that no longer match the code

Outcomes: KILLED, SURVIVED, STALE (``find`` is not in the file exactly once: the code moved on; fix
the entry), ERROR (pytest could not run the listed tests, e.g. a wrong test id). Documented in
docs/testing.md. Not part of CI (it takes tens of minutes); run it before merging test or loss changes.
"""
from __future__ import annotations

import argparse
import fnmatch
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COPY = ("vidsynth", "tests", "scripts", "pyproject.toml", "README.md", "docs")
IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc", ".pytest_cache", ".hypothesis")
FIELDS = ("name", "file", "find", "replace", "tests")


def load_mutations(files: list[Path]) -> list[dict]:
    """All mutations of ``files``, checked for the five fields and unique names."""
    out, seen = [], {}
    for path in files:
        try:
            entries = json.loads(path.read_text())
        except (OSError, json.JSONDecodeError) as e:
            sys.exit(f"error: {path}: {e}")
        if not isinstance(entries, list):
            sys.exit(f"error: {path}: expected a JSON list of mutations")
        for i, m in enumerate(entries):
            missing = [f for f in FIELDS if f not in m]
            if missing or not isinstance(m.get("tests"), list) or not m.get("tests"):
                sys.exit(f"error: {path} entry {i}: needs {', '.join(FIELDS)} (tests: a non-empty list); "
                         f"missing {missing or ['tests']}")
            if m["name"] in seen:
                sys.exit(f"error: mutation name {m['name']!r} is in both {seen[m['name']]} and {path}")
            seen[m["name"]] = path
            out.append(dict(m, source=str(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)))
    return out


def copy_repository(dest: Path) -> None:
    for name in COPY:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, dest / name, ignore=IGNORE)
        elif src.is_file():
            shutil.copy2(src, dest / name)


def run_pytest(workdir: Path, tests: list[str], timeout: float) -> tuple[int, str, float]:
    """(pytest exit code, tail of its output, seconds); exit code -1 on timeout."""
    env = dict(os.environ, PYTHONPATH=str(workdir), OMP_NUM_THREADS="1", PYTHONDONTWRITEBYTECODE="1")
    cmd = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", "-o", "addopts=", *tests]
    start = time.time()
    try:
        proc = subprocess.run(cmd, cwd=workdir, env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired as e:
        out = (e.stdout or b"").decode(errors="replace") if isinstance(e.stdout, bytes) else (e.stdout or "")
        return -1, out[-2000:], time.time() - start
    return proc.returncode, (proc.stdout + proc.stderr)[-4000:], time.time() - start


def first_failure(output: str) -> str:
    for line in output.splitlines():
        if line.startswith(("FAILED ", "ERROR ")):
            return line.split(" - ")[0]
    return ""


def report_stale(mutations: list[dict]) -> int:
    """Cheap check after moving code: entries whose file/find or test files no longer exist. Exit 1 if any."""
    bad = 0
    for m in mutations:
        target = ROOT / m["file"]
        count = target.read_text().count(m["find"]) if target.is_file() else -1
        missing = sorted({t.split("::")[0] for t in m["tests"] if not (ROOT / t.split("::")[0]).is_file()})
        if count != 1 or missing:
            bad += 1
            why = "file missing" if count < 0 else f"'find' occurs {count} times" if count != 1 else ""
            print(f"STALE     {m['name']} [{m['source']}]: {m['file']}: {why} {' '.join(missing)}".rstrip())
    print(f"{len(mutations)} mutation(s): {bad} stale")
    return 1 if bad else 0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--file", action="append", type=Path, help="mutation list(s) (default: scripts/mutations/*.json)")
    ap.add_argument("--only", action="append", metavar="NAME", help="run only these mutations (fnmatch patterns)")
    ap.add_argument("--list", action="store_true", help="list the mutations and exit")
    ap.add_argument("--stale", action="store_true",
                    help="only check that every 'find' occurs once and every test file exists (no test runs)")
    ap.add_argument("--no-baseline", action="store_true", help="skip the unmutated run of the listed tests")
    ap.add_argument("--timeout", type=float, default=900, help="seconds per pytest run (default 900)")
    args = ap.parse_args(argv)

    files = [p.resolve() for p in args.file] if args.file else sorted((ROOT / "scripts" / "mutations").glob("*.json"))
    mutations = load_mutations(files)
    if args.only:
        mutations = [m for m in mutations if any(fnmatch.fnmatch(m["name"], pat) for pat in args.only)]
        if not mutations:
            sys.exit(f"error: no mutation matches {args.only}")
    if args.list:
        for m in mutations:
            print(f"{m['name']:48s} {m['file']:48s} {len(m['tests'])} test(s)  [{m['source']}]")
        print(f"{len(mutations)} mutation(s)")
        return 0

    if args.stale:
        return report_stale(mutations)

    results = []
    # SIGTERM (e.g. `kill PID`) unwinds like Ctrl-C, so the temporary copy is removed
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(143))
    with tempfile.TemporaryDirectory(prefix="vidsynth-mutants-") as tmp:
        work = Path(tmp)
        copy_repository(work)
        if not args.no_baseline:
            tests = sorted({t for m in mutations for t in m["tests"]})
            print(f"baseline: {len(tests)} test id(s) on the unmutated copy ...", flush=True)
            rc, out, secs = run_pytest(work, tests, args.timeout * 2)
            if rc != 0:
                print(out)
                print(f"baseline FAILED (exit {rc}, {secs:.0f} s): fix these tests first; nothing was mutated.")
                return 2
            print(f"baseline passed in {secs:.0f} s", flush=True)
        for m in mutations:
            target = work / m["file"]
            text = target.read_text() if target.is_file() else ""
            count = text.count(m["find"])
            if count != 1:
                why = "file missing" if not target.is_file() else f"'find' occurs {count} times"
                results.append((m["name"], "STALE", why, 0.0))
                print(f"STALE     {m['name']}: {m['file']}: {why}", flush=True)
                continue
            target.write_text(text.replace(m["find"], m["replace"]))
            try:
                rc, out, secs = run_pytest(work, m["tests"], args.timeout)
            finally:
                target.write_text(text)
            if rc == 0:
                status, detail = "SURVIVED", "all listed tests passed"
            elif rc in (1, 2, -1):   # 1 tests failed, 2 collection error (e.g. the mutant cannot import), -1 timeout
                status = "KILLED"
                detail = first_failure(out) or {2: "collection error", -1: "timeout"}.get(rc, f"exit {rc}")
            else:                    # 3 internal error, 4 usage error, 5 no tests collected
                status, detail = "ERROR", f"pytest exit {rc}: {out.strip().splitlines()[-1] if out.strip() else ''}"
            results.append((m["name"], status, detail, secs))
            print(f"{status:9s} {m['name']} ({secs:.0f} s): {detail}", flush=True)

    counts = {s: sum(1 for r in results if r[1] == s) for s in ("KILLED", "SURVIVED", "STALE", "ERROR")}
    print(f"\n{len(results)} mutation(s): " + ", ".join(f"{v} {k.lower()}" for k, v in counts.items()))
    for name, status, detail, _ in results:
        if status != "KILLED":
            print(f"  {status}: {name} ({detail})")
    return 0 if counts["KILLED"] == len(results) else 1


if __name__ == "__main__":
    sys.exit(main())
