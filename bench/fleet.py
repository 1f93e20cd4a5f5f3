"""Benchmark ``xencfg fleet plan`` on a generated inventory.

    python bench/fleet.py [--hosts 200] [--domains 50] [-j N] [--keep DIR]

``generate(root, hosts, domains)`` writes a deterministic inventory under
``root/inventory``: one folder per host with its own ``dlmcfgmgr -v`` map
(the LU order differs per host, so the same SCSI name is another HDLM device
on each), a ``running.txt`` (``xm list -l`` on even hosts, ``xl list -l``
JSON on odd ones; half the domains run), and ``etc/xen`` with ``domains``
configs (two disks each, one a partition) and an autostart link for every
other domain.  Each tenth domain is configured on two neighbouring hosts, so
the cross-host rule has work.  Then it times ``xencfg fleet plan`` (plans
written to ``root/plans``) and prints the time; the target is under a minute
for 200 x 50 on a 2-core machine.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import string
import subprocess
import sys
import tempfile
import time
from pathlib import Path

LETTERS = string.ascii_lowercase


def _sd(n: int) -> str:
    # sda .. sdz, sdaa .. : enough names for a host's LUs
    return "sd" + (LETTERS[n] if n < 26 else LETTERS[n // 26 - 1] + LETTERS[n % 26])


def _hdlm(n: int) -> str:
    # HDLM names use the letters a-p: sddlmaa .. sddlmpp
    return "sddlm" + LETTERS[n // 16] + LETTERS[n % 16]


def _map(host: int, luns: int) -> tuple[str, dict[str, str]]:
    rows = ["HDevName      Management  Device    Host  Channel  Target  Lun"]
    pairs = {}
    for lun in range(luns):
        hd = _hdlm((lun + host) % luns)
        pairs[f"/dev/{_sd(lun)}"] = f"/dev/{hd}"
        rows.append(f"/dev/{hd}  configured  /dev/{_sd(lun)}  1  0  0  {lun}")
    rows.append("KAPL10302-I /sbin/dlmcfgmgr completed normally.")
    return "\n".join(rows) + "\n", pairs


def generate(root: Path, hosts: int, domains: int) -> Path:
    inv = root / "inventory"
    luns = domains * 2
    for h in range(hosts):
        hdir = inv / f"dom0-{h:03d}"
        xen = hdir / "etc" / "xen"
        (xen / "auto").mkdir(parents=True)
        text, _ = _map(h, luns)
        (hdir / "map.txt").write_text(text)
        running_xm = ["(domain (domid 0) (name Domain-0))"]
        running_xl = []
        for d in range(domains):
            shared = d % 10 == 0 and h % 2 == 1
            name = f"vm{h - 1 if shared else h:03d}-{d:02d}"
            a, b = _sd(2 * d), _sd(2 * d + 1)
            (xen / f"{name}.cfg").write_text(
                f'name = "{name}"\nmemory = 1024\nvcpus = 2\n'
                f'disk = [ "phy:/dev/{a},xvda,w", "phy:/dev/{b}1,xvdb,w" ]\n'
                'vif = [ "bridge=xenbr0" ]\n'
            )
            if d % 2 == 0:
                (xen / "auto" / f"{name}.cfg").symlink_to(f"../{name}.cfg")
            if d % 2 == 1:
                running_xm.append(
                    f"(domain (domid {d + 1}) (name {name}) (device (vbd (uname "
                    f"phy:/dev/{a}) (dev xvda) (mode w))))"
                )
                running_xl.append(
                    {
                        "domid": d + 1,
                        "config": {
                            "c_info": {"name": name},
                            "disks": [{"pdev_path": f"/dev/{a}", "vdev": "xvda"}],
                        },
                    }
                )
        if h % 2 == 0:
            (hdir / "running.txt").write_text("\n".join(running_xm) + "\n")
        else:
            (hdir / "running.txt").write_text(json.dumps(running_xl) + "\n")
    return inv


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--hosts", type=int, default=200)
    ap.add_argument("--domains", type=int, default=50)
    ap.add_argument("-j", "--jobs", type=int, default=None)
    ap.add_argument("--keep", metavar="DIR", help="generate here and keep it")
    args = ap.parse_args()
    root = Path(args.keep or tempfile.mkdtemp(prefix="xencfg-fleet-bench-"))
    try:
        t0 = time.perf_counter()
        inv = generate(root, args.hosts, args.domains)
        print(
            f"generated {args.hosts} hosts x {args.domains} domains in "
            f"{time.perf_counter() - t0:.1f}s: {inv}"
        )
        cmd = [sys.executable, "-m", "xencfg", "fleet", "plan", str(inv)]
        cmd += ["-o", str(root / "plans"), "--format", "json"]
        if args.jobs:
            cmd += ["-j", str(args.jobs)]
        t0 = time.perf_counter()
        res = subprocess.run(cmd, capture_output=True, text=True)
        took = time.perf_counter() - t0
        if res.returncode != 0:
            sys.stderr.write(res.stderr)
            return res.returncode
        summary = json.loads(res.stdout)["summary"]
        print(f"xencfg fleet plan: {took:.1f}s ({os.cpu_count()} CPUs): {summary}")
        return 0
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
