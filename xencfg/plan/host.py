"""What the host says about the plan's domains: autostart links and ``xm list -l``."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from ..document import decode
from ..errors import Failed
from ..formats.detect import looks_like_json
from ..pipeline import convert_or_fail, read_or_usage
from ..transforms.dumps import dump_domains
from ..transforms.running import is_xl_dump
from .model import BLOCKING, Disk, Domain, Link, Plan
from .targets import Targets

PARKED_SUFFIX = ".xencfg-suspended"


def find_parked(auto: str) -> list[Link]:
    """Links an earlier run left parked (in AUTO.xencfg-suspended/), each
    with the place it came from: a later plan must say so, or the autostart
    is silently lost."""
    parked_dir = os.path.abspath(auto).rstrip("/") + PARKED_SUFFIX
    try:
        entries = sorted(os.listdir(parked_dir))
    except OSError:
        return []
    out = []
    for entry in entries:
        full = os.path.join(parked_dir, entry)
        target = os.readlink(full) if os.path.islink(full) else "(not a link)"
        out.append(Link(os.path.join(os.path.abspath(auto), entry), target, full))
    return out


def find_links(dom: Domain, auto: str) -> None:
    parked_dir = os.path.abspath(auto).rstrip("/") + PARKED_SUFFIX
    for entry in sorted(os.listdir(auto)):
        full = os.path.join(os.path.abspath(auto), entry)
        try:
            same = os.path.samefile(full, dom.config)
        except OSError:
            continue  # a dangling link: not this domain's
        if not same:
            continue
        if os.path.islink(full):
            dom.links.append(
                Link(full, os.readlink(full), os.path.join(parked_dir, entry))
            )
        else:
            dom.reasons.append(
                f"{full} is the config itself or a hard link to it, not a "
                "symbolic link: its autostart cannot be suspended apart from "
                "the config; make it a symbolic link first"
            )


@dataclass
class Running:
    name: str
    domid: int | None
    on_xend_start: str | None
    disks: list[Disk]
    reasons: list[str]
    xl: bool = False  # from an xl list -l dump: there is no xend to start it
    devices: list[str] = field(default_factory=list)  # as migrated, sorted


def read_dump(path: str, devmap) -> dict[str, Running]:
    data = read_or_usage(path)
    # xm list -l, or xl list -l as JSON or as xl's S-expressions
    fmt = "json" if looks_like_json(decode(data)) else "sxp"
    targets = Targets(devmap)
    done = convert_or_fail(data, path, fmt, targets)
    doc = done.doc
    out: dict[str, Running] = {}
    for name, domid, on_xend_start in dump_domains(doc):
        if name is None:
            continue
        try:
            num = int(domid) if domid is not None else None
        except ValueError:
            num = None
        out[name] = Running(name, num, on_xend_start, [], [], is_xl_dump(doc))
    if not out:
        raise Failed(
            f"{path}:1:1: error: no domain with a name found (expected "
            "'xm list -l' or 'xl list -l' output)"
        )
    for name, devs in targets.devices.items():
        if name in out:
            out[name].devices = sorted(devs)
    for f in done.findings:
        run = out.get(f.domain or "")
        if run is None:
            continue
        where = f"{f.path}:{f.line}:{f.col}"
        if f.kind == "migrate":
            run.disks.append(Disk(f.old, f.new, where))
        elif f.kind in BLOCKING:
            run.reasons.append(f"{where}: {f.message}")
    return out


def _is_running(run: Running | None) -> bool:
    return run is not None and run.domid is not None and run.domid >= 0


def apply_dump(plan: Plan, running, by_name, toolstack: str) -> None:
    known = {d.name for d in plan.domains if d.name} | set(plan.nothing)
    for dom in plan.domains:
        run = running.get(dom.name or "")
        dom.running = _is_running(run)
        if not dom.running:
            continue
        if run.reasons:
            dom.reasons.extend(f"running domain: {r}" for r in run.reasons)
        # the device alone: a dump names it bare (xl) or as phy:/dev/...
        live = sorted(d.old.rpartition(":")[2] for d in run.disks)
        mine = sorted(d.old.rpartition(":")[2] for d in dom.disks)
        if live != mine:
            dom.notes.append(
                "the running domain's SCSI disks differ from its config "
                f"(running: {', '.join(live) or 'none'}; config: "
                f"{', '.join(mine) or 'none'}); the config is what starts again"
            )
    for name, run in running.items():
        if name in known or name == "Domain-0" or run.domid == 0:
            continue
        if not run.disks and not run.reasons:
            plan.nothing.append(name)
            continue
        dom = Domain(name, None, plan.running_path or "", "sxp", managed=True)
        dom.running = _is_running(run)
        dom.on_xend_start = run.on_xend_start
        dom.disks = run.disks
        dom.reasons = list(run.reasons)
        if run.xl:
            dom.reasons.append(
                "runs (per the xl list -l dump) but none of the configs given "
                "defines it: give its config"
            )
        elif toolstack != "xm":
            dom.reasons.append(
                "xend-managed (its config is only in xend): needs --toolstack xm"
            )
        plan.domains.append(dom)
