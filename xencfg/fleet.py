"""``xencfg fleet``: one inventory folder of many hosts, a runbook per host.

An inventory holds one folder per host: ``map.txt`` (its map command's
output), ``running.txt`` (optional: ``xm list -l`` or ``xl list -l``) and
``etc/xen/`` (a copy of its /etc/xen, autostart links included).  Each host
is planned with its own map by the one plan builder (:func:`xencfg.plan.build`),
in parallel; then its paths are put back as they are on the host
(``/etc/xen/web01.cfg``, not the inventory's copy), and the domains
configured on several hosts are checked across hosts
(:mod:`xencfg.fleet_lu`).  :mod:`xencfg.fleet_out` prints and writes.
"""

from __future__ import annotations

import fnmatch
import os
from argparse import Namespace
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

from .diffs import unified
from .errors import Failed, Usage
from .plan.model import Link, Plan
from .pool import die_with_parent, warm_up

XEN = os.path.join("etc", "xen")
PARKED_SUFFIX = ".xencfg-suspended"
# Not domain configs: xend's own settings.
EXCLUDE = ("xend-config.sxp", "xend-config-*.sxp")


@dataclass
class Host:
    name: str
    dir: str  # the host's folder in the inventory, absolute
    plan: Plan | None = None
    devmap: object = None
    toolstack: str = "xm"
    toolstack_from: str = ""  # how the toolstack was worked out
    running: str | None = None  # running.txt, when there is one
    notes: list[str] = field(default_factory=list)
    error: str = ""  # bad input: the message naming host and file


def host_dirs(inventory: str) -> list[str]:
    if not os.path.isdir(inventory):
        raise Usage(f"{inventory}: inventory folder not found")
    names = sorted(
        n
        for n in os.listdir(inventory)
        if not n.startswith(".") and os.path.isdir(os.path.join(inventory, n))
    )
    if not names:
        raise Usage(f"{inventory}: no host folders in the inventory")
    return [os.path.abspath(os.path.join(inventory, n)) for n in names]


def plan_hosts(inventory: str, workers: int | None = None) -> list[Host]:
    """Every host of the inventory, planned (in parallel when many)."""
    dirs = host_dirs(inventory)
    if workers is None:
        workers = os.cpu_count() or 1
    if workers <= 1 or len(dirs) < 4:
        return [plan_host(d) for d in dirs]
    warm_up()
    size = max(1, min(16, len(dirs) // (workers * 4)))
    with ProcessPoolExecutor(
        max_workers=workers, initializer=die_with_parent, initargs=(os.getpid(),)
    ) as pool:
        return list(pool.map(plan_host, dirs, chunksize=size))


def plan_host(hdir: str) -> Host:
    """One host's plan, its paths as on the host.  Never raises on bad
    input: the error, naming host and file, is in ``Host.error``."""
    host = Host(os.path.basename(hdir), hdir)
    try:
        _plan(host)
    except (Failed, Usage) as e:
        host.error = f"{host.name}: {e}"
    return host


def _plan(host: Host) -> None:
    from .pipeline import load_map_or_fail
    from .plan import build
    from .plan.host import read_dump

    hdir = host.dir
    map_path = os.path.join(hdir, "map.txt")
    xen = os.path.join(hdir, XEN)
    if not os.path.isfile(map_path):
        raise Failed(f"{map_path}: error: no map.txt for host {host.name}")
    if not os.path.isdir(xen):
        raise Failed(f"{xen}: error: no etc/xen copy for host {host.name}")
    devmap = load_map_or_fail(map_path, "auto")
    running = os.path.join(hdir, "running.txt")
    dump = None
    if os.path.isfile(running):
        dump = read_dump(running, devmap)
        host.running = running
        if any(r.xl for r in dump.values()):
            host.toolstack, host.toolstack_from = "xl", "running.txt is xl list -l"
        else:
            host.toolstack, host.toolstack_from = "xm", "running.txt is xm list -l"
    else:
        host.toolstack, host.toolstack_from = _toolstack_of_configs(xen)
        host.notes.append(
            "no running.txt: planned from the configs alone; the runbook "
            "checks at run time which domains run"
        )
    auto = os.path.join(xen, "auto")
    args = Namespace(
        map=map_path,
        toolstack=host.toolstack,
        running=host.running,
        auto_dir=auto if os.path.isdir(auto) else None,
        paths=[xen] + _real_files(auto),
        include=[],
        exclude=list(EXCLUDE) + ["auto/*"],
    )
    plan = build(args, devmap, dump, None, _link_finder(hdir))
    host.devmap = devmap
    host.plan = plan
    _to_host_paths(plan, hdir)


def _real_files(auto: str) -> list[str]:
    """Configs kept as real files in auto/ (not links): taken as named; the
    links are not walked, as an absolute link text means the control
    node's own /etc/xen here (they are read by _link_finder instead)."""
    if not os.path.isdir(auto):
        return []
    out = []
    for name in sorted(os.listdir(auto)):
        full = os.path.join(auto, name)
        if name.startswith(".") or os.path.islink(full) or not os.path.isfile(full):
            continue
        if fnmatch.fnmatch(name, "*.cfg") or fnmatch.fnmatch(name, "*.sxp"):
            out.append(full)
    return out


def _toolstack_of_configs(xen: str) -> tuple[str, str]:
    """xm or xl for a host without running.txt, from its /etc/xen copy."""
    if os.path.isfile(os.path.join(xen, "xend-config.sxp")):
        return "xm", "no running.txt; etc/xen has xend-config.sxp"
    if os.path.isfile(os.path.join(xen, "xl.conf")):
        return "xl", "no running.txt; etc/xen has xl.conf and no xend-config.sxp"
    return "xm", "no running.txt, xend-config.sxp or xl.conf: xm (the default)"


def _link_finder(hdir: str):
    """find_links for a copy of a host's /etc/xen: an absolute link text
    (``/etc/xen/web01.cfg``) is read relative to the host's copy.  The
    autostart folder is read once per host, not once per domain."""
    seen: dict[str, dict] = {}

    def entries(auto: str) -> dict:
        if auto not in seen:
            seen[auto] = _auto_entries(hdir, auto)
        return seen[auto]

    def find(dom, auto: str) -> None:
        auto = os.path.abspath(auto)
        parked_dir = auto.rstrip("/") + PARKED_SUFFIX
        for full, text in entries(auto).get(os.path.realpath(dom.config), ()):
            if text is not None:
                entry = os.path.basename(full)
                dom.links.append(Link(full, text, os.path.join(parked_dir, entry)))
            else:
                dom.reasons.append(
                    f"{full} is the config itself or a hard link to it, not a "
                    "symbolic link: its autostart cannot be suspended apart "
                    "from the config; make it a symbolic link first"
                )

    return find


def _auto_entries(hdir: str, auto: str) -> dict[str, list]:
    """The real file each autostart entry reaches -> [(entry, link text or
    None for a regular file)]."""
    out: dict[str, list] = {}
    by_inode: dict[tuple, str] = {}
    for name in sorted(os.listdir(auto)):
        full = os.path.join(auto, name)
        if os.path.islink(full):
            text = os.readlink(full)
            where = hdir + os.path.normpath(text) if os.path.isabs(text) else full
            out.setdefault(os.path.realpath(where), []).append((full, text))
        elif os.path.isfile(full):
            st = os.stat(full)
            by_inode[(st.st_dev, st.st_ino)] = full
    if by_inode:  # hard links: the configs with the same inode
        for real in _configs_by_inode(os.path.dirname(auto), by_inode):
            out.setdefault(real[0], []).append((real[1], None))
    return out


def _configs_by_inode(xen: str, by_inode: dict) -> list[tuple[str, str]]:
    found = []
    for root, _dirs, files in os.walk(xen):
        for name in files:
            path = os.path.join(root, name)
            try:
                st = os.stat(path, follow_symlinks=False)
            except OSError:
                continue
            key = (st.st_dev, st.st_ino)
            if key in by_inode:
                found.append((os.path.realpath(path), by_inode[key]))
    return found


def _to_host_paths(plan: Plan, hdir: str) -> None:
    """The inventory's copy's paths -> the paths on the host."""
    prefix = hdir.rstrip("/") + "/etc/"

    def host(text: str | None) -> str | None:
        return None if text is None else text.replace(prefix, "/etc/")

    plan.auto_dir = host(plan.auto_dir)
    for link in plan.parked:  # left parked by an earlier run on the host
        link.path, link.parked = host(link.path), host(link.parked)
    for dom in plan.domains:
        dom.config = host(dom.config)
        dom.shown = host(dom.shown)
        dom.reasons = [host(r) for r in dom.reasons]
        dom.notes = [host(n) for n in dom.notes]
        for d in dom.disks:
            d.where = host(d.where)
        for link in dom.links:
            link.path, link.parked = host(link.path), host(link.parked)
        if dom.config and dom.old is not None and dom.new is not None:
            dom.diff = unified(dom.old, dom.new, dom.config.lstrip("/"))
