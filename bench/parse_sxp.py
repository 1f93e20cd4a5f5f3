"""Benchmark the S-expression reader on a generated ``xm list -l`` capture.

    python bench/parse_sxp.py [--mb 10] [--reader parse|lark|lark-lexer|all]
                              [--memory]

``generate(size)`` builds a deterministic ``xm list --long``-like text of about
``size`` characters: domain records shaped like the real capture in the corpus
(ganeti's xen-xm-list-long-4.0.1.txt), with varying ids, uuids, names, memory,
vifs and vbds.  ``measure(text, reader)`` returns (seconds, MB/s).
"""

from __future__ import annotations

import argparse
import gc
import random
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from xencfg.formats import sxp  # noqa: E402

import sxp_lark  # noqa: E402  (beside this file)

READERS = {
    "parse": sxp.parse,
    "lark": sxp_lark.parse_lark,
    "lark-lexer": sxp_lark.parse_lark_lexer,
}


def _uuid(rnd: random.Random) -> str:
    h = "%032x" % rnd.getrandbits(128)
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _domain(rnd: random.Random, domid: int) -> str:
    name = f"guest{domid}.example.com"
    mem = rnd.choice([128, 256, 512, 1024, 2048, 4096])
    vbds = []
    for i in range(rnd.randint(1, 3)):
        vbds.append(f"""    (device
        (vbd
            (protocol x86_64-abi)
            (uuid {_uuid(rnd)})
            (bootable {1 if i == 0 else 0})
            (dev xvd{"abc"[i]}:disk)
            (uname phy:/dev/mapper/vg0-{name}-disk{i})
            (mode w)
            (backend 0)
            (VDI )
        )
    )
""")
    return f"""(domain
    (domid {domid})
    (cpu_weight 256)
    (cpu_cap 0)
    (bootloader )
    (on_crash restart)
    (uuid {_uuid(rnd)})
    (bootloader_args )
    (vcpus {rnd.randint(1, 8)})
    (description )
    (name {name})
    (cpus (()))
    (on_reboot restart)
    (on_poweroff destroy)
    (maxmem {mem})
    (memory {mem})
    (shadow_memory 0)
    (features )
    (on_xend_start ignore)
    (on_xend_stop ignore)
    (start_time {rnd.uniform(1.3e9, 1.4e9):.2f})
    (cpu_time {rnd.uniform(0, 1e5):.9f})
    (online_vcpus 1)
    (image
        (linux
            (kernel /boot/vmlinuz-{rnd.choice(["2.6.32", "3.2.0", "4.9.0"])})
            (args 'root=/dev/xvda1 ro console=hvc0')
            (superpages 0)
            (videoram 4)
            (pci ())
            (nomigrate 0)
            (tsc_mode 0)
            (notes
                (HV_START_LOW 18446603336221196288)
                (FEATURES '!writable_page_tables|pae_pgdir_above_4gb')
                (VIRT_BASE 18446744071562067968)
                (GUEST_VERSION 2.6)
                (PADDR_OFFSET 0)
                (GUEST_OS linux)
                (LOADER generic)
                (PAE_MODE yes)
                (XEN_VERSION xen-3.0)
            )
        )
    )
    (status 2)
    (state -b----)
    (store_mfn {rnd.randint(1, 1 << 24)})
    (console_mfn {rnd.randint(1, 1 << 24)})
    (device
        (vif
            (bridge xenbr0)
            (mac 00:16:3e:{rnd.randint(0, 255):02x}:{rnd.randint(0, 255):02x}:{rnd.randint(0, 255):02x})
            (script /etc/xen/scripts/vif-bridge)
            (uuid {_uuid(rnd)})
            (backend 0)
        )
    )
{"".join(vbds)})
"""


def generate(size: int = 10**7, seed: int = 1) -> str:
    """An ``xm list --long``-like text of at least ``size`` characters."""
    rnd = random.Random(seed)
    parts: list[str] = []
    total = 0
    domid = 1
    while total < size:
        d = _domain(rnd, domid)
        parts.append(d)
        total += len(d)
        domid += 1
    return "".join(parts)


def measure(text: str, reader=sxp.parse, repeat: int = 3) -> tuple[float, float]:
    """Best wall time of ``repeat`` parses, and the MB/s it gives."""
    best = float("inf")
    for _ in range(repeat):
        gc.collect()
        gc.disable()  # sxp.parse pauses the collector itself; be fair to Lark
        try:
            t0 = time.perf_counter()
            doc = reader(text)
            best = min(best, time.perf_counter() - t0)
        finally:
            gc.enable()
        del doc
    return best, len(text.encode()) / best / 1e6


def peak_memory(text: str, reader=sxp.parse) -> int:
    """Peak bytes allocated while parsing ``text`` (tracemalloc)."""
    gc.collect()
    tracemalloc.start()
    doc = reader(text)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del doc
    return peak


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mb", type=float, default=10.0)
    ap.add_argument("--reader", default="parse", choices=[*READERS, "all"])
    ap.add_argument("--memory", action="store_true", help="also tracemalloc")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)
    text = generate(int(args.mb * 1e6))  # MB = 10^6 bytes, as bench/parse.py
    size = len(text.encode())
    doc = sxp.parse(text)
    assert doc.to_text() == text
    del doc
    names = list(READERS) if args.reader == "all" else [args.reader]
    print(f"input: {size / 1e6:.1f} MB, {text.count(chr(10))} lines")
    for name in names:
        secs, rate = measure(text, READERS[name], args.repeat)
        line = f"{name:>10}: {secs:.2f} s  {rate:.2f} MB/s"
        if args.memory:
            line += f"  peak {peak_memory(text, READERS[name]) / 2**20:.0f} MiB"
        print(line, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
