"""Parse speed and memory of every format reader.

    python bench/parse.py [--size MB] [--repeat N] [--worst]

Prints, for each format, MB/s over the real-world corpus (xl files through
``xencfg.formats.xl``, S-expressions through ``xencfg.formats.sxp`` and
Python-style xm configs through ``xencfg.formats.xm``) and over a
generated input of about ``--size`` MB for xl and for S-expressions; then the
peak memory of parsing each generated input: the tracemalloc peak, and the
growth of the process's maximum resident set size (``ru_maxrss``), each
measured in a forked child so earlier runs do not hide it.

Times are the best of ``--repeat`` runs (time.perf_counter), with the garbage
collector left as a user would have it.  MB means 10**6 bytes of input.
Files a reader rejects (ParseError) are timed too and counted as rejected.
``--worst`` measures the hostile inputs of ``worst_cases.py`` instead.
A reader that is missing (ImportError) is shown as "n/a".
"""

from __future__ import annotations

import argparse
import gc
import importlib
import os
import random
import resource
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from xencfg.document import ParseError, decode  # noqa: E402

from forked import in_child  # noqa: E402
import parse_sxp  # noqa: E402  (bench/ is on sys.path when run as a script)

CORPUS = ROOT.parent / "shared" / "corpus"

# (format, module, corpus folder)
FORMATS = [
    ("xl", "xencfg.formats.xl", "xl"),
    ("sxp", "xencfg.formats.sxp", "sxp"),
    ("xm", "xencfg.formats.xm", "xm"),
    ("xm-libcst", "xencfg.formats.xm:parse_cst", "xm"),  # the reference
]


def reader(module: str):
    """The module's ``parse`` (or ``module:function``), or None when the
    module is not there yet."""
    module, _, name = module.partition(":")
    try:
        return getattr(importlib.import_module(module), name or "parse")
    except (ImportError, AttributeError):
        return None


def corpus_texts(folder: str) -> list[str]:
    base = CORPUS / folder
    if not base.is_dir():
        return []
    paths = sorted(
        p for p in base.rglob("*") if p.is_file() and p.name != "SOURCES.tsv"
    )
    return [decode(p.read_bytes()) for p in paths]


# --- generated inputs ------------------------------------------------------------


def _uuid(rnd: random.Random) -> str:
    h = "%032x" % rnd.getrandbits(128)
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _mac(rnd: random.Random) -> str:
    return "00:16:3e:%02x:%02x:%02x" % tuple(rnd.randrange(256) for _ in range(3))


def _xl_domain(rnd: random.Random, n: int) -> str:
    """One domain's xl config: comments, strings, numbers, disk/vif lists."""
    q = rnd.choice(["'", '"'])
    name = f"guest{n:05d}.example.com"
    role = rnd.choice(["web", "db", "mail", "build", "cache", "proxy"])
    hvm = rnd.random() < 0.5
    mem = rnd.choice([512, 1024, 2048, 4096, 8192])
    out = [
        "# " + "=" * 70 + "\n",
        f"# {name}: {role} server (ticket OPS-{rnd.randint(1000, 9999)})\n",
        "# " + "=" * 70 + "\n\n",
        f"name = {q}{name}{q}\n",
        f'uuid = "{_uuid(rnd)}"\n',
    ]
    if hvm:
        out.append('type = "hvm"\n')
        out.append(f"boot = {q}{rnd.choice(['c', 'dc', 'cd'])}{q}\n")
    else:
        out.append("type = 'pvh'\n")
        out.append(f'kernel = "/boot/vmlinuz-{rnd.choice(["5.10.0", "6.1.0"])}"\n')
        out.append('extra = "root=/dev/xvda1 ro console=hvc0"\n')
        if rnd.random() < 0.3:
            out.append("extra += ' quiet loglevel=3'\n")
    out.append(f"\n# Memory (MB) and CPUs\nmemory = {mem}\nmaxmem = {mem * 2}\n")
    out.append(f"vcpus = {rnd.randint(1, 8)}; cpu_weight = 256; cpu_cap = 0\n")
    if rnd.random() < 0.2:
        out.append('vcpu_hard_affinity = [ [ "0-3" ], [ "4-7" ], ]\n')
    else:
        out.append(f'cpus = "{rnd.randint(0, 3)}-{rnd.randint(4, 15)}"\n')
    out.append(
        "\non_poweroff = 'destroy'\non_reboot   = 'restart'\n"
        "on_crash    = 'restart'  # keep a dump on crash in staging\n\n"
    )
    # disk: a one-line list, or one item a line with comments and a trailing
    # comma (both styles are common).
    disks = [
        f"phy:/dev/vg{rnd.randint(0, 3)}/{name}-disk{i},xvd{'abcd'[i]},w"
        for i in range(rnd.randint(1, 3))
    ]
    if rnd.random() < 0.3:
        disks.append(
            f"format=raw, vdev=xvde, access=rw, target=/srv/xen/{name}-data.img"
        )
    if rnd.random() < 0.4:
        out.append("disk = [ " + ", ".join(f"{q}{d}{q}" for d in disks) + " ]\n")
    else:
        out.append("disk = [\n")
        for i, d in enumerate(disks):
            out.append(f"    # disk {i}\n    {q}{d}{q},\n")
        if rnd.random() < 0.5:
            out.append("    # 'file:/srv/iso/install.iso,hdc:cdrom,r',\n")
        out.append("]\n")
    vifs = [
        f"mac={_mac(rnd)},bridge=xenbr{i},vifname=vif{n}.{i}"
        + (",model=e1000" if hvm else "")
        for i in range(rnd.randint(1, 2))
    ]
    if rnd.random() < 0.5:
        out.append("vif = [ " + ", ".join(f"'{v}'" for v in vifs) + " ]\n")
    else:
        out.append("vif = [\n" + "".join(f'    "{v}",\n' for v in vifs) + "]\n")
    if hvm:
        out.append(
            f'vfb = [ "vnc=1,vnclisten=0.0.0.0,vncdisplay={n % 100}" ]\n'
            "serial = 'pty'\nusbdevice = [ \"tablet\" ]\n"
        )
    if rnd.random() < 0.1:
        out.append(f"pci = [ '0000:{rnd.randint(1, 9):02x}:00.0,permissive=1' ]\n")
    out.append("\n")
    return "".join(out)


def generate(kind: str, size: int, seed: int = 1) -> str:
    """About ``size`` characters of xl config or S-expression dump."""
    if kind == "sxp":
        return parse_sxp.generate(size, seed)
    rnd = random.Random(seed)
    make = _xl_domain
    parts: list[str] = []
    total = 0
    n = 1
    while total < size:
        part = make(rnd, n)
        parts.append(part)
        total += len(part)
        n += 1
    return "".join(parts)


# --- measuring -----------------------------------------------------------------


def best_time(parse, texts: list[str], repeat: int) -> tuple[float, int]:
    """Best wall time to parse all ``texts``, and how many were rejected."""
    best = float("inf")
    rejected = 0
    for _ in range(repeat):
        gc.collect()
        rejected = 0
        docs = []
        t0 = time.perf_counter()
        for text in texts:
            try:
                docs.append(parse(text))
            except ParseError:
                rejected += 1
        best = min(best, time.perf_counter() - t0)
        del docs
    return best, rejected


def _memory_child(parse, text: str) -> tuple[int, int]:
    """(tracemalloc peak bytes, ru_maxrss growth bytes) of one parse."""
    gc.collect()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    doc = parse(text)
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    del doc
    gc.collect()
    tracemalloc.start()
    doc = parse(text)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del doc
    scale = 1 if sys.platform == "darwin" else 1024  # Linux reports KiB
    return peak, (after - before) * scale


def memory(parse, text: str) -> tuple[int, int] | None:
    """Run ``_memory_child`` in a forked child (a fresh high-water mark)."""

    def child() -> str:
        peak, rss = _memory_child(parse, text)
        return f"{peak} {rss}"

    answer = in_child(child, lambda e: f"error {type(e).__name__}: {e}"[:4000])
    if answer.startswith("error"):
        print(f"  memory measurement failed: {answer}", file=sys.stderr)
        return None
    peak, rss = answer.split()
    return int(peak), int(rss)


def mib(n: int) -> str:
    return f"{n / 2**20:.1f} MiB"


def table(rows: list[list[str]], right: set[int]) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = []
    for k, row in enumerate(rows):
        cells = [
            c.rjust(widths[i]) if i in right else c.ljust(widths[i])
            for i, c in enumerate(row)
        ]
        lines.append("  ".join(cells).rstrip())
        if k == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=float, default=10.0, help="generated MB")
    ap.add_argument("--repeat", type=int, default=3, help="runs, best kept")
    ap.add_argument(
        "--worst",
        action="store_true",
        help="only the hostile inputs of bench/worst_cases.py (memory, time)",
    )
    args = ap.parse_args(argv)
    if args.worst:
        import worst_cases

        return worst_cases.main(["--size", str(args.size)])
    size = int(args.size * 1e6)

    readers = {fmt: reader(mod) for fmt, mod, _ in FORMATS}
    generated = {kind: generate(kind, size) for kind in ("xl", "sxp")}

    # Memory first, in forked children, before the timing runs grow the heap.
    mem = {}
    for kind, text in generated.items():
        parse = readers[kind]
        if parse is not None:
            doc = parse(text)  # also checks the generator writes valid input
            assert doc.to_text() == text, f"generated {kind} does not round-trip"
            del doc
            mem[kind] = memory(parse, text)

    speed = [["format", "input", "files", "rejected", "MB", "best s", "MB/s"]]
    for fmt, mod, folder in FORMATS:
        parse = readers[fmt]
        texts = corpus_texts(folder)
        mb = sum(len(t.encode("utf-8", "surrogateescape")) for t in texts) / 1e6
        label = f"corpus {folder}/"
        if parse is None:
            speed.append(
                [fmt, label, str(len(texts)), "n/a", f"{mb:.3f}", "n/a", "n/a"]
            )
            continue
        if not texts:
            speed.append([fmt, label, "0", "-", "0", "-", "n/a (no corpus)"])
            continue
        secs, rejected = best_time(parse, texts, args.repeat)
        speed.append(
            [
                fmt,
                label,
                str(len(texts)),
                str(rejected),
                f"{mb:.3f}",
                f"{secs:.4f}",
                f"{mb / secs:.2f}",
            ]
        )
    for kind, text in generated.items():
        parse = readers[kind]
        mb = len(text.encode()) / 1e6
        label = f"generated ({text.count(chr(10))} lines)"
        if parse is None:
            speed.append([kind, label, "1", "n/a", f"{mb:.2f}", "n/a", "n/a"])
            continue
        secs, rejected = best_time(parse, [text], args.repeat)
        speed.append(
            [
                kind,
                label,
                "1",
                str(rejected),
                f"{mb:.2f}",
                f"{secs:.3f}",
                f"{mb / secs:.2f}",
            ]
        )

    print(f"Parse speed (best of {args.repeat}, MB = 10^6 bytes)\n")
    print(table(speed, right={2, 3, 4, 5, 6}))

    rows = [["format", "input MB", "tracemalloc peak", "ru_maxrss delta", "peak/input"]]
    for kind, text in generated.items():
        mb = len(text.encode()) / 1e6
        m = mem.get(kind)
        if m is None:
            rows.append([kind, f"{mb:.2f}", "n/a", "n/a", "n/a"])
        else:
            peak, rss = m
            rows.append(
                [kind, f"{mb:.2f}", mib(peak), mib(rss), f"{peak / (mb * 1e6):.1f}x"]
            )
    print(f"\nPeak memory parsing the generated ~{args.size:g} MB inputs\n")
    print(table(rows, right={1, 2, 3, 4}))
    print("\nfiles parsed per format (corpus):", end="")
    for row in speed[1:4]:
        print(f" {row[0]}={row[2]}", end="")
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
