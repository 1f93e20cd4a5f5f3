"""Benchmark a batch migration of a fleet against sed and cat.

    python bench/batch.py [--files 10000] [--luns 256] [-j N] [--keep DIR]

``generate(root, files, luns)`` writes a deterministic fleet of domain
configs under ``root/fleet``: mostly xl configs (``/etc/xen/*.cfg`` as xl
reads them), old xm configs (Python: ``disk.append``, ``%`` formatting,
``if`` branches), ``xm list -l``-style S-expression files, the odd
``xend-config.sxp``, nested per site and cluster, with autostart symlinks;
and ``root/map.txt``, a ``dlmcfgmgr -v`` capture of ``luns`` LUs that maps
every ``/dev/sdX`` the fleet uses.

Then, side by side in one run, on the same tree (caches dropped by nothing:
every contender reads a warm page cache; ``sync`` before each, so none pays
for the writes of the one before):

* ``cat``: ``find fleet -type f -exec cat {} +`` — the floor, reading it all;
* ``cp -a`` of the tree, and starting Python with xencfg imported: together,
  the least any Python tool that writes a converted copy of the tree spends
  before it parses anything; and ``libcst.parse_module`` alone on the fleet's
  xm configs (in as many processes): what reading them with libcst, the
  reference reader, would cost at the least (xencfg reads them with
  CPython's ast where it is sure both agree);
* ``sed``: the correct-looking admin way: one ``s#/dev/sda\\b#/dev/sddlmaa#g``
  rule per map entry in a ``sed -f`` script, run as
  ``find copy -type f -exec sed -i -f hdlm.sed {} +`` on a fresh copy;
* ``xencfg``: ``xencfg apply --map map.txt --out-dir OUT fleet`` cold (a fresh,
  empty cache), then again warm (the cache says every file left unchanged
  last time... which for a converted fleet is the *output* tree: so the warm
  run is ``xencfg check`` of the converted tree twice, the second one cached).

sed and the cold xencfg run go in turns, ``--rounds`` times (3), each on a
fresh copy or out-dir, and their medians are taken (single runs on a shared
VM vary by a fifth).  It prints a table of seconds and ratios against sed
and cat, and each round's ratio.  The target is xencfg cold at most half of
sed's time.

Then the pre-commit case: ``xencfg check --map`` of one xl and one xm config
of the fleet (the installed script, as pre-commit runs it), whole process
(start-up included), against a one-pass Python
regex script that rewrites the same two files (``regex_fix.py``, written
beside the fleet): the median of several alternating runs of each.  The
target is at most 1.5 times the script.

Every Python contender runs with its modules' byte code cached (in the work
folder), as an installed package has it.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from contenders import xm_files, libcst_floor, single_file


def _dev(i: int) -> str:
    """sda..sdz, sdaa..sdzz: the kernel's SCSI disk names."""
    letters = "abcdefghijklmnopqrstuvwxyz"
    if i < 26:
        return letters[i]
    i -= 26
    return letters[i // 26] + letters[i % 26]


def hdlm_name(i: int) -> str:
    """HDLM names: sddlmaa, sddlmab, ... sddlmap, sddlmba ... (16 per letter)."""
    letters = "abcdefghijklmnop"
    return "sddlm" + letters[(i // 16) % 16] + letters[i % 16]


def map_text(luns: int) -> str:
    rows = ["HDevName      Management  Device    Host  Channel  Target  Lun"]
    for i in range(luns):
        rows.append(
            f"/dev/{hdlm_name(i)}  configured  /dev/sd{_dev(i)}  "
            f"{1 + i // 128}  0  0  {i % 128}"
        )
    rows.append("KAPL10302-I /sbin/dlmcfgmgr completed normally.")
    return "\n".join(rows) + "\n"


def _uuid(rnd: random.Random) -> str:
    h = "%032x" % rnd.getrandbits(128)
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _mac(rnd: random.Random) -> str:
    return "00:16:3e:" + ":".join("%02x" % rnd.randrange(256) for _ in range(3))


def _disks(rnd: random.Random, luns: int) -> list[str]:
    out = []
    for n in range(rnd.choice([1, 1, 2, 2, 3, 4])):
        i = rnd.randrange(luns)
        kind = rnd.random()
        if kind < 0.7:
            dev = f"/dev/sd{_dev(i)}"
        elif kind < 0.8:
            dev = f"/dev/sd{_dev(i)}{rnd.randint(1, 4)}"  # a partition
        elif kind < 0.9:
            dev = f"/dev/{hdlm_name(i)}"  # already migrated
        else:
            dev = f"/dev/vg0/lv{rnd.randrange(1000)}"
        out.append((dev, "xvd" + "abcd"[n], "w" if n or rnd.random() < 0.9 else "r"))
    return out


def xl_config(rnd: random.Random, name: str, luns: int) -> str:
    disks = ",\n".join(
        (
            f"    'phy:{d},{t},{m}'"
            if rnd.random() < 0.6
            else f"    'format=raw, vdev={t}, access={m}, target={d}'"
        )
        for d, t, m in _disks(rnd, luns)
    )
    return f"""# {name}: managed by ops, do not edit by hand
name = "{name}"
uuid = "{_uuid(rnd)}"
memory = {rnd.choice([512, 1024, 2048, 4096, 8192])}
maxmem = {rnd.choice([1024, 4096, 8192])}
vcpus = {rnd.choice([1, 2, 4, 8])}
builder = "hvm"
boot = "c"
# disks on the SAN (HDLM after the migration)
disk = [
{disks},
]
vif = [ 'mac={_mac(rnd)},bridge=xenbr0', 'mac={_mac(rnd)},bridge=xenbr1' ]
vnc = 1
vnclisten = "0.0.0.0"
serial = "pty"
on_poweroff = "destroy"
on_reboot = "restart"
on_crash = "restart"
"""


def xm_config(rnd: random.Random, name: str, luns: int) -> str:
    ds = _disks(rnd, luns)
    first = ds[0]
    lines = [
        "# -*- mode: python; -*-",
        "# xm create config for " + name,
        f"kernel = '/boot/vmlinuz-2.6.18-{rnd.randint(8, 400)}.el5xen'",
        f"ramdisk = '/boot/initrd-2.6.18-{rnd.randint(8, 400)}.el5xen.img'",
        f"memory = {rnd.choice([256, 512, 1024, 2048])}",
        f"name = '{name}'",
        f"vif = ['mac={_mac(rnd)}, bridge=xenbr0']",
        f"disk = ['phy:{first[0]},{first[1]},{first[2]}']",
    ]
    for d, t, m in ds[1:]:
        lines.append(f"disk.append('phy:{d},{t},{m}')")
    if rnd.random() < 0.2:
        lines += [
            "import os",
            "if os.path.exists('/dev/sddlmzz'):",
            "    disk.append('phy:/dev/sddlmzz,xvdz,r')",
        ]
    if rnd.random() < 0.1:
        lines += ["swapdev = 'sd%s' % 'q'", "disk += ['phy:/dev/%s,xvdy,w' % swapdev]"]
    lines += [
        "root = '/dev/xvda1 ro'",
        "extra = 'console=xvc0 elevator=noop'",
        "on_reboot = 'restart'",
        "on_crash = 'restart'",
    ]
    return "\n".join(lines) + "\n"


def sxp_config(rnd: random.Random, name: str, luns: int) -> str:
    vbds = "".join(f"""    (device
        (vbd
            (uuid {_uuid(rnd)})
            (bootable {1 if n == 0 else 0})
            (dev {t}:disk)
            (uname phy:{d})
            (mode {m})
        )
    )
""" for n, (d, t, m) in enumerate(_disks(rnd, luns)))
    return f"""(domain
    (domid {rnd.randint(1, 400)})
    (uuid {_uuid(rnd)})
    (vcpus {rnd.choice([1, 2, 4])})
    (name {name})
    (memory {rnd.choice([512, 1024, 2048])})
    (on_poweroff destroy)
    (on_reboot restart)
    (on_crash restart)
    (image (linux (kernel ) (args 'console=hvc0')))
{vbds}    (device (vif (bridge xenbr0) (mac {_mac(rnd)})))
)
"""


XEND_CONFIG = """# -*- sh -*-
(xend-relocation-server yes)
(xend-relocation-port 8002)
(xend-relocation-hosts-allow '^localhost$ ^localhost\\\\.localdomain$')
(network-script network-bridge)
(vif-script vif-bridge)
(dom0-min-mem 196)
(enable-dom0-ballooning yes)
(dom0-cpus 0)
(vncpasswd '')
"""


def generate(root: Path, files: int = 10000, luns: int = 256, seed: int = 1) -> Path:
    """Write ``root/fleet`` and ``root/map.txt``; return the fleet folder."""
    rnd = random.Random(seed)
    fleet = root / "fleet"
    fleet.mkdir(parents=True)
    (root / "map.txt").write_text(map_text(luns))
    hosts = max(1, files // 40)
    written = 0
    for h in range(hosts):
        site = f"site{h % 4}"
        host = fleet / site / f"cluster{h % 7}" / f"xen{h:04d}"
        (host / "auto").mkdir(parents=True)
        (host / "xend-config.sxp").write_text(XEND_CONFIG)
        written += 1
        n = 0
        while n < 39 and written < files:
            name = f"vm{h:04d}-{n:02d}"
            r = rnd.random()
            if r < 0.6:
                text, ext = xl_config(rnd, name, luns), ".cfg"
            elif r < 0.85:
                text, ext = xm_config(rnd, name, luns), ".cfg"
            else:
                text, ext = sxp_config(rnd, name, luns), ".sxp"
            (host / (name + ext)).write_text(text)
            if ext == ".cfg" and rnd.random() < 0.3:
                os.symlink(f"../{name}{ext}", host / "auto" / (name + ext))
            n += 1
            written += 1
        if written >= files:
            break
    return fleet


def sed_script(luns: int) -> str:
    return "".join(
        f"s#/dev/sd{_dev(i)}\\b#/dev/{hdlm_name(i)}#g\n" for i in range(luns)
    )


def _time(cmd, **kw) -> float:
    # Start each contender with no one else's writes still queued for disk.
    os.sync()
    t = time.perf_counter()
    subprocess.run(cmd, check=False, **kw)
    return time.perf_counter() - t


def _verdicts(t_cold: float, t_sed: float, t_floor: float, t_libcst: float):
    ratio = t_cold / t_sed
    verdict = "met" if ratio <= 0.5 else "NOT met"
    print(f"target xencfg cold <= 0.5 x sed: {ratio:.2f} ({verdict})")
    print(f"floor of any Python converter (copy + start): {t_floor / t_sed:.2f} x sed")
    floor = (t_floor + t_libcst) / t_sed
    print(f"floor if xm files were read by libcst: {floor:.2f} x sed")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--files", type=int, default=10000)
    ap.add_argument("--luns", type=int, default=256)
    ap.add_argument("-j", "--jobs", type=int, default=0, help="xencfg -j")
    ap.add_argument("--keep", metavar="DIR", help="build the fleet in DIR, keep it")
    ap.add_argument("--rounds", type=int, default=3, help="sed and cold runs, in turns")
    args = ap.parse_args(argv)

    work = Path(args.keep or tempfile.mkdtemp(prefix="xencfg-bench-"))
    try:
        work.mkdir(parents=True, exist_ok=True)
        if not (work / "fleet").exists():
            generate(work, args.files, args.luns)
        fleet = work / "fleet"
        mapf = work / "map.txt"
        (work / "hdlm.sed").write_text(sed_script(args.luns))
        nfiles = sum(1 for p in fleet.rglob("*") if p.is_file() and not p.is_symlink())
        jobs = ["-j", str(args.jobs)] if args.jobs else []
        env = dict(os.environ, XENCFG_CACHE_DIR=str(work / "cache"))
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(work / "pycache")
        quiet = dict(stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        xencfg = [sys.executable, "-m", "xencfg"]

        for d in ("out", "sed", "cache", "out2"):
            shutil.rmtree(work / d, ignore_errors=True)

        t_cat = _time(
            f"find {fleet} -type f -exec cat {{}} + > /dev/null", shell=True, **quiet
        )
        # Floors for any tool written in Python that converts into a new tree:
        # copying the tree, and starting the interpreter with the parsers.
        shutil.rmtree(work / "copy", ignore_errors=True)
        t_copy = _time(["cp", "-a", str(fleet), str(work / "copy")], **quiet)
        shutil.rmtree(work / "copy", ignore_errors=True)
        start = [sys.executable, "-c", "import xencfg.batch, xencfg.formats.xm_ast"]
        _time(start, env=env, **quiet)  # byte code cached
        t_start = _time(start, env=env, **quiet)
        cmd = [*xencfg, "apply", "--map", str(mapf), *jobs, "-q"]
        _time([*xencfg, "--version"], env=env, **quiet)  # byte code cached
        # sed and the cold run in turns, each on a fresh copy or out-dir: the
        # medians of the rounds (single runs on a shared VM vary by 20%).
        seds, colds = [], []
        for _ in range(args.rounds):
            shutil.rmtree(work / "sed", ignore_errors=True)
            shutil.copytree(fleet, work / "sed", symlinks=True)
            seds.append(
                _time(
                    f"find {work / 'sed'} -type f "
                    f"-exec sed -i -f {work / 'hdlm.sed'} {{}} +",
                    shell=True,
                    **quiet,
                )
            )
            for d in ("out", "cache"):
                shutil.rmtree(work / d, ignore_errors=True)
            colds.append(
                _time(
                    [*cmd, "--out-dir", str(work / "out"), str(fleet)], env=env, **quiet
                )
            )
        t_sed, t_cold = statistics.median(seds), statistics.median(colds)
        ratios = ", ".join(f"{c / s:.2f}" for s, c in zip(seds, colds))
        t_warm_1 = _time(
            [*xencfg, "check", "--map", str(mapf), *jobs, "-q", str(work / "out")],
            env=env,
            **quiet,
        )
        t_warm = _time(
            [*xencfg, "check", "--map", str(mapf), *jobs, "-q", str(work / "out")],
            env=env,
            **quiet,
        )
        n_xm, t_libcst = libcst_floor(fleet, args.jobs)
        rows = [
            ("cat (read the tree)", t_cat),
            ("cp -a (copy the tree)", t_copy),
            ("python + xencfg start", t_start),
            (f"libcst.parse_module, {n_xm} xm", t_libcst),
            (f"sed -f ({args.luns} \\b rules), -i", t_sed),
            ("xencfg apply --out-dir (cold)", t_cold),
            ("xencfg check, converted tree", t_warm_1),
            ("xencfg check again (cached)", t_warm),
        ]
        print(f"{nfiles} files, {args.luns} LUs in the map, {os.cpu_count()} cores")
        print(f"{'':34} {'seconds':>8} {'/ sed':>7} {'/ cat':>7}")
        for label, t in rows:
            print(f"{label:34} {t:8.3f} {t / t_sed:7.2f} {t / t_cat:7.1f}")
        print(f"cold / sed in each of {args.rounds} rounds: {ratios} (medians below)")
        _verdicts(t_cold, t_sed, t_copy + t_start, t_libcst)
        single_file(work, fleet, xm_files(fleet)[0], env)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
