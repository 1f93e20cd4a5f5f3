"""CPU time of the readers alone, over a tree of configs (the fleet).

    python bench/readers.py TREE [--repeat N] [--profile]

Every regular file under TREE (links skipped) is read into memory first; then each is parsed through
the entry point ``apply`` uses (``formats.detect.parse_bytes`` with format
detection), and the CPU seconds (``time.process_time``) are summed per
format the file was read as (xl, xm, sxp, json, or "error").  The best of
``--repeat`` rounds is printed per format, with the files and bytes of each.
``--profile`` runs one round under cProfile and prints the top functions.

Make a tree with ``python bench/batch.py --keep DIR`` (10,000 generated
configs of every kind) or point it at the corpus.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from xencfg.document import ParseError  # noqa: E402
from xencfg.formats.detect import parse_bytes  # noqa: E402


def load(tree: str) -> list[tuple[str, bytes]]:
    files = []
    for folder, dirs, names in os.walk(tree):
        dirs.sort()
        for name in sorted(names):
            path = os.path.join(folder, name)
            if os.path.islink(path):
                continue  # the run reads each real file once
            with open(path, "rb") as fh:
                files.append((path, fh.read()))
    return files


def one_round(files: list[tuple[str, bytes]]) -> dict[str, list[float]]:
    """format -> [cpu seconds, files, bytes]"""
    out: dict[str, list[float]] = {}
    clock = time.process_time
    for path, data in files:
        t0 = clock()
        try:
            fmt = parse_bytes(data, path).fmt
        except ParseError:
            fmt = "error"
        spent = clock() - t0
        row = out.setdefault(fmt, [0.0, 0, 0])
        row[0] += spent
        row[1] += 1
        row[2] += len(data)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("tree")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--profile", action="store_true")
    args = ap.parse_args(argv)
    files = load(args.tree)
    if args.profile:
        import cProfile
        import pstats

        prof = cProfile.Profile()
        prof.runcall(one_round, files)
        pstats.Stats(prof).sort_stats("tottime").print_stats(25)
        return 0
    best: dict[str, list[float]] = {}
    for _ in range(args.repeat):
        for fmt, row in one_round(files).items():
            if fmt not in best or row[0] < best[fmt][0]:
                best[fmt] = row
    total = sum(r[0] for r in best.values())
    print(f"{'format':8} {'files':>6} {'MB':>7} {'CPU s':>7} {'ms/file':>8}")
    for fmt, (cpu, n, size) in sorted(best.items()):
        print(f"{fmt:8} {n:6d} {size / 1e6:7.2f} {cpu:7.3f} {1000 * cpu / n:8.3f}")
    print(f"{'total':8} {len(files):6d} {'':7} {total:7.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
