"""Hostile inputs of every format: peak memory and time of reading each.

    python bench/worst_cases.py [--size MB] [--only NAME]

Each case is about ``--size`` MB (default 10) of one shape an attacker (or
a broken tool) could write: one huge string or comment, millions of tiny
values, nesting far past the limit, endless lines.  Each is read the way the
command line reads it (format detection for configs and dumps, the map
reader for maps), in a forked child, and the tracemalloc peak, the wall time
and the outcome (the format read, or the first words of the error) are
printed.  The goal: at most 150 MiB and linear time for any 10 MB input
(README, Formats: limits); ``--check`` exits 1 when a case is over the
memory goal.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import tracemalloc
from pathlib import Path

from forked import in_child  # beside this file

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

GOAL = 150 * 2**20  # bytes of tracemalloc peak for a 10 MB input


def _fill(head: str, unit: str, tail: str, size: int) -> str:
    return head + unit * max(1, (size - len(head) - len(tail)) // len(unit)) + tail


# (name, kind, text for a size): kind "config" goes through format detection,
# "map" through the device-map reader.
CASES = [
    ("xl long string", "config", lambda n: _fill('name = "', "a", '"\n', n)),
    ("xl long string escapes", "config", lambda n: _fill('name = "', "\\t", '"\n', n)),
    ("xl long string in list", "config", lambda n: _fill("disk = ['", "a", "']\n", n)),
    ("xl long string nested", "config", lambda n: _fill("d = [['", "a", "']]\n", n)),
    ("xl long comment", "config", lambda n: _fill("# ", "a", "\nname = 'x'\n", n)),
    ("xl many numbers", "config", lambda n: _fill("x = [", "1,", "1]\n", n)),
    ("xl many strings", "config", lambda n: _fill("x = [", "'',", "'']\n", n)),
    ("xl many settings", "config", lambda n: _fill("", "a=1\n", "", n)),
    ("xl many blank lines", "config", lambda n: _fill("a = 1\n", "\n", "", n)),
    ("xl unclosed string", "config", lambda n: _fill('name = "', "a", "\n", n)),
    ("xl deep brackets", "config", lambda n: _fill("x = ", "[", "", n)),
    ("xl long key", "config", lambda n: _fill("", "k", " = 1\n", n)),
    ("xm long string", "config", lambda n: _fill("import os\nx = '", "a", "'\n", n)),
    ("xm many settings", "config", lambda n: _fill("import os\n", "a=1\n", "", n)),
    ("xm many numbers", "config", lambda n: _fill("import os\nx = [", "1,", "1]\n", n)),
    ("xm deep parens", "config", lambda n: _fill("import os\nx = ", "(", "", n)),
    ("xm long operator chain", "config", lambda n: _fill("x = 1", "+1", "\n", n)),
    # plain lines and other statements in turn: one piece for each (xm_mixed)
    (
        "xm plain and other lines",
        "config",
        lambda n: _fill("", "a=1\nimport os\n", "", n),
    ),
    ("sxp long atom", "config", lambda n: _fill("(domain (name ", "a", "))\n", n)),
    ("sxp long string", "config", lambda n: _fill('(domain (name "', "a", '"))\n', n)),
    ("sxp many lists", "config", lambda n: _fill("(domain ", "()", ")\n", n)),
    ("sxp many atoms", "config", lambda n: _fill("(domain ", "a ", ")\n", n)),
    (
        "sxp keyword pairs",
        "config",
        lambda n: _fill("(domain ", "if" + " " * 20 + "1 ", ".)\n", n),
    ),
    ("sxp many domains", "config", lambda n: _fill("", "(a b)", "\n", n)),
    ("sxp deep parens", "config", lambda n: _fill("", "(", "", n)),
    ("sxp unclosed string", "config", lambda n: _fill('(domain (name "', "a", "\n", n)),
    ("json many numbers", "config", lambda n: _fill("[", "1,", "1]\n", n)),
    ("json long string", "config", lambda n: _fill('["', "a", '"]\n', n)),
    ("map long line", "map", lambda n: _fill("", "a", "\n", n)),
    ("map many lines", "map", lambda n: _fill("", "a\n", "", n)),
    ("map many pairs", "map", lambda n: _fill("", "/dev/sda /dev/sddlmaa\n", "", n)),
]


def read(kind: str, text: str) -> str:
    """Read ``text`` as the CLI would; the outcome in a few words."""
    from xencfg.document import ParseError

    try:
        if kind == "map":
            from xencfg.maps import MapError, parse_map

            try:
                parse_map(text)
            except MapError as e:
                return "error: " + str(e)[:60]
            return "map"
        from xencfg.formats.detect import parse_text

        return parse_text(text).fmt
    except ParseError as e:
        return f"error {e.line}:{e.col}: {e.message[:50]}"


def _child(kind: str, text: str) -> str:
    tracemalloc.start()
    t0 = time.perf_counter()
    what = read(kind, text)
    secs = time.perf_counter() - t0
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return f"{peak} {secs:.3f} {what}"


def measure(kind: str, text: str, timeout: float = 600) -> tuple[int, float, str]:
    """(tracemalloc peak, seconds, outcome) of reading ``text`` in a child."""
    answer = in_child(
        lambda: _child(kind, text),
        lambda e: f"-1 0 crash {type(e).__name__}: {e}"[:4000],
    )
    peak, secs, what = answer.split(" ", 2)
    return int(peak), float(secs), what


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=float, default=10.0, help="MB per case")
    ap.add_argument("--only", help="cases whose name contains this")
    ap.add_argument("--check", action="store_true", help="exit 1 over the goal")
    args = ap.parse_args(argv)
    size = int(args.size * 1e6)
    goal = GOAL * args.size / 10
    over = 0
    print(f"{'case':<26} {'peak MiB':>9} {'seconds':>8}  outcome")
    for name, kind, make in CASES:
        if args.only and args.only not in name:
            continue
        text = make(size)
        peak, secs, what = measure(kind, text)
        flag = " OVER" if peak > goal or peak < 0 else ""
        over += bool(flag)
        print(f"{name:<26} {peak / 2**20:9.1f} {secs:8.2f}  {what}{flag}")
        sys.stdout.flush()
    return 1 if over and args.check else 0


if __name__ == "__main__":
    sys.exit(main())
