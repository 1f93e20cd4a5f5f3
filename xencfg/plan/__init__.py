"""``xencfg plan``: a per-domain migration runbook (HDLM steps 3 to 7).

For every domain whose disks need migration, in order: its disks and their
new devices, the verdict (every SCSI disk is in the map), stop it if it runs,
suspend its autostart, patch its config, a manual checkpoint to switch the
LU to multi-path, start it again (only if it was running), and restore the
autostart exactly as it was.  A domain that cannot be migrated gets no steps,
only its reasons, listed at the top.

Output is text (default), a bash script (``--format sh``, see
:mod:`xencfg.plan.sh`) or JSON.  Exit status: 0 when a plan is produced (also
when some domains are blocked, or nothing needs doing), 2 on bad input.
"""

from __future__ import annotations

import os
import sys

from ..document import encode
from ..errors import Failed, Usage, err
from ..pipeline import convert_or_fail, load_map_or_fail, read_or_usage
from ..transforms.disks import domain_name
from ..walk import collect
from .host import apply_dump, find_links, find_parked, read_dump
from .running import settle
from .targets import Targets
from .model import BLOCKING, DEFAULT_AUTO, Disk, Domain, Plan
from .text import render_json, render_text


def build(args, devmap, dump=None, default_auto=DEFAULT_AUTO, find=find_links) -> Plan:
    """The plan for ``args``; raises ``Failed``/``Usage`` on bad input.
    ``dump``: the running state, already read (``fleet``); ``default_auto``
    and ``find``: where autostart links are looked for, and how (``fleet``
    reads a copy of a host's /etc/xen, not this machine's)."""
    from ..diffs import unified

    auto = args.auto_dir
    if auto is None and default_auto and os.path.isdir(default_auto):
        auto = default_auto
    if auto is not None and not os.path.isdir(auto):
        raise Usage(f"{auto}: autostart folder not found")
    plan = Plan(
        args.map, devmap.source, args.toolstack, args.running, auto and _abs(auto)
    )
    running = dump
    if running is None and args.running:
        running = read_dump(args.running, devmap)
    if auto is not None:
        plan.parked = find_parked(auto)

    jobs, missing = collect(args.paths, args.include, args.exclude)
    if missing:
        raise Failed("\n".join(missing))
    migrate = Targets(devmap)
    settled: list[tuple[Domain, bytes]] = []  # configs already migrated
    by_name: dict[str, list[Domain]] = {}
    for job in jobs:
        if job.real == "-":
            raise Usage("plan needs files: a config from standard input has no path")
        data = read_or_usage(job.real)
        done = convert_or_fail(data, job.path, "auto", migrate)
        doc = done.doc
        config = _abs(job.real if os.path.islink(job.path) else job.path)
        dom = Domain(domain_name(doc), config, job.path, doc.fmt)
        findings = done.findings
        dom.devices = migrate.take()
        _take_findings(dom, findings)
        if not dom.todo:
            plan.nothing.append(dom.label)
            if dom.name is not None and dom.name not in by_name:
                settled.append((dom, data))
            continue
        if done.new is not None:
            dom.old, dom.new = data, done.new
            dom.diff = unified(data, dom.new, config.lstrip("/"))
        if dom.name is None:
            dom.reasons.append(
                'no literal, unconditional name = "..." setting: '
                "cannot tell which domain to stop and start"
            )
        else:
            by_name.setdefault(dom.name, []).append(dom)
        if doc.fmt == "sxp" and args.toolstack == "xl":
            dom.reasons.append("an S-expression config: xl cannot create it")
        if auto is not None:
            find(dom, auto)
        plan.domains.append(dom)

    for name, doms in by_name.items():
        if len(doms) > 1:
            shown = ", ".join(d.shown for d in doms)
            for d in doms:
                d.reasons.append(f"several configs define domain {name}: {shown}")
    if running is not None:
        apply_dump(plan, running, by_name, args.toolstack)
        settle(plan, running, settled)
    return plan


def _abs(path: str) -> str:
    return os.path.abspath(path)


def _take_findings(dom: Domain, findings) -> None:
    for f in findings:
        where = f"{f.path}:{f.line}:{f.col}"
        if f.kind == "migrate":
            dom.disks.append(Disk(f.old, f.new, where))
        elif f.kind in BLOCKING:
            dom.reasons.append(f"{where}: {f.message}")


def run_plan(args) -> int:
    devmap = load_map_or_fail(args.map, args.map_format)
    plan = build(args, devmap)
    if args.format == "sh":
        from .sh import render_sh

        text = render_sh(plan)
    elif args.format == "json":
        text = render_json(plan)
    else:
        text = render_text(plan)
    data = encode(text)
    if args.output:
        with open(args.output, "wb") as fh:
            fh.write(data)
        if args.format == "sh":
            os.chmod(args.output, 0o755)
    else:
        sys.stdout.flush()
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
    for dom in plan.blocked:
        err(f"xencfg: {dom.label} cannot be migrated: {dom.reasons[0]}")
    return 0
