"""Contenders of bench/batch.py besides sed and cat: libcst alone on the
fleet's xm configs, and the pre-commit case: one xl and one xm config checked
by xencfg (a whole process, start-up included) against a one-pass Python
regex script that rewrites the same two files."""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

REGEX_FIX = """import re
import sys

with open(sys.argv[1]) as f:
    rows = re.findall(r"^(/dev/sddlm\\w+)\\s+configured\\s+(/dev/sd[a-z]+)\\b", f.read(), re.M)
table = {sd: hdlm for hdlm, sd in rows}
rx = re.compile(r"/dev/sd(?!dlm)[a-z]+")
for path in sys.argv[2:]:
    with open(path) as f:
        text = f.read()
    new = rx.sub(lambda m: table.get(m.group(), m.group()), text)
    with open(path, "w") as f:
        f.write(new)
"""


def single_file(work: Path, fleet: Path, xm: str, env: dict, runs: int = 15):
    """Median seconds of ``xencfg check`` (the installed script, as pre-commit
    runs it) on one xl config of ``fleet`` and the xm config ``xm``, and of
    the regex script rewriting copies of them, alternating; printed with the
    ratio and returned.  The interpreter's own
    start (``python -c pass``, in the same turns) is printed beside them:
    both sides pay it, and an editable install's start-up hook makes it
    dearer than a plain install's."""
    xl = next(
        str(p)
        for p in sorted(fleet.rglob("*.cfg"))
        if str(p) != xm and "disk.append" not in p.read_text()
    )
    one = work / "single"
    shutil.rmtree(one, ignore_errors=True)
    one.mkdir()
    (work / "regex_fix.py").write_text(REGEX_FIX)
    for name, src in (("xl.cfg", xl), ("xm.cfg", xm)):
        shutil.copy(src, one / name)
        shutil.copy(src, one / ("re-" + name))
    mapf = str(work / "map.txt")
    a = [*xencfg_command(), "check", "-j", "1", "--map", mapf]
    a += [str(one / "xl.cfg"), str(one / "xm.cfg")]
    b = [sys.executable, str(work / "regex_fix.py"), mapf]
    b += [str(one / "re-xl.cfg"), str(one / "re-xm.cfg")]
    quiet = dict(stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    ta, tb, tp = [], [], []
    bare = [sys.executable, "-c", "pass"]
    for i in range(runs + 1):  # the first pair warms up (and caches byte code)
        for cmd, times in ((a, ta), (b, tb), (bare, tp)):
            t = time.perf_counter()
            subprocess.run(cmd, check=False, **quiet)
            if i:
                times.append(time.perf_counter() - t)
    t_one, t_re = statistics.median(ta), statistics.median(tb)
    ratio = t_one / t_re
    verdict = "met" if ratio <= 1.5 else "NOT met"
    print(
        f"single-file check (1 xl + 1 xm): {t_one:.3f} s, "
        f"one-pass regex script {t_re:.3f} s "
        f"(python -c pass alone {statistics.median(tp):.3f} s)"
    )
    print(f"target single-file check <= 1.5 x regex script: {ratio:.2f} ({verdict})")
    return t_one, t_re


def xencfg_command() -> list[str]:
    """How pre-commit runs xencfg (``entry: xencfg check -j 1``): the
    installed ``xencfg`` script beside this interpreter; ``python -m
    xencfg`` (which imports runpy first) only where there is none."""
    script = Path(sys.executable).parent / "xencfg"
    if script.is_file():
        return [str(script)]
    return [sys.executable, "-m", "xencfg"]


def xm_files(fleet: Path) -> list[str]:
    """The fleet's configs that xencfg reads as xm (Python)."""
    from xencfg.document import ParseError
    from xencfg.formats import xl

    out = []
    for p in sorted(fleet.rglob("*.cfg")):
        if p.is_symlink():
            continue
        try:
            xl.parse(p.read_text(), foreign_ok=True)
        except (xl.Foreign, ParseError):
            out.append(str(p))
    return out


def _libcst_import() -> None:
    import libcst  # noqa: F401


def _libcst_parse(paths: list[str]) -> int:
    import libcst

    for p in paths:
        with open(p) as fh:
            libcst.parse_module(fh.read())
    return len(paths)


def libcst_floor(fleet: Path, jobs: int) -> tuple[int, float]:
    """Seconds for libcst.parse_module alone on the xm files, in ``jobs``
    processes that have libcst imported already: the least a design that
    reads xm configs with libcst can spend on them."""
    from concurrent.futures import ProcessPoolExecutor

    files = xm_files(fleet)
    jobs = jobs or os.cpu_count() or 1
    with ProcessPoolExecutor(jobs, initializer=_libcst_import) as pool:
        list(pool.map(_libcst_parse, [[]] * jobs))  # start them all
        chunks = [files[i : i + 64] for i in range(0, len(files), 64)]
        t = time.perf_counter()
        n = sum(pool.map(_libcst_parse, chunks))
        return n, time.perf_counter() - t
