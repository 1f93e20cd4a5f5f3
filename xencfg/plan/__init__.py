"""``xencfg plan``: a per-domain migration runbook (HDLM steps 3 to 7).

For every domain whose disks need migration, in order: its disks and their
new devices, the verdict (every SCSI disk is in the map), stop it if it runs,
suspend its autostart, patch its config, a manual checkpoint to switch the
LU to multi-path, start it again (only if it was running), and restore the
autostart exactly as it was.  A domain that cannot be migrated gets no steps,
only its reasons, listed at the top.

Output is text (default), a bash script (``--format sh``, see
:mod:`xencfg.plan_sh`) or JSON.  Exit status: 0 when a plan is produced (also
when some domains are blocked, or nothing needs doing), 2 on bad input.
"""

from __future__ import annotations

import os
import sys

from .document import Document, ParseError, encode
from .formats.detect import parse_bytes
from .plan_host import apply_dump, find_links, read_dump
from .plan_model import BLOCKING, Disk, Domain, Plan
from .plan_text import render_json, render_text
from .transforms.disks import sxp_domains, sxp_field
from .transforms.migrate import Migrate

DEFAULT_AUTO = "/etc/xen/auto"


def add_arguments(p) -> None:
    p.description = (
        "Write a per-domain runbook for moving guests to their multipath "
        "devices: stop, suspend autostart, patch the config, switch the LU "
        "to multi-path (manual), start, restore autostart."
    )
    p.add_argument("paths", nargs="+", metavar="PATH", help="configs or folders")
    p.add_argument("--map", required=True, metavar="FILE", help="dlmcfgmgr -v, ...")
    p.add_argument(
        "--map-format",
        default="auto",
        choices=("auto", "dlmcfgmgr", "dlnkmgr", "multipath", "powermt", "plain"),
    )
    p.add_argument(
        "--running",
        metavar="DUMP",
        help="'xm list -l' output for all domains: which run, and the "
        "xend-managed ones (default: the script checks at run time)",
    )
    p.add_argument(
        "--auto-dir",
        metavar="DIR",
        help=f"autostart folder (default: {DEFAULT_AUTO} when it exists)",
    )
    p.add_argument(
        "--toolstack",
        choices=("xm", "xl"),
        default="xm",
        help="commands to stop and start domains (default: xm, as the HDLM "
        "manual uses)",
    )
    p.add_argument("--format", choices=("text", "sh", "json"), default="text")
    p.add_argument("-o", "--output", metavar="FILE", help="write here, not stdout")
    p.add_argument(
        "--include", action="append", default=[], metavar="GLOB", help="in folders"
    )
    p.add_argument("--exclude", action="append", default=[], metavar="GLOB")


def build(args, devmap) -> Plan:
    """The plan for ``args``; raises ``cli.Failed``/``cli.Usage`` on bad input."""
    from .batch import collect
    from .cli import Failed, Usage
    from .diffs import unified

    auto = args.auto_dir
    if auto is None and os.path.isdir(DEFAULT_AUTO):
        auto = DEFAULT_AUTO
    if auto is not None and not os.path.isdir(auto):
        raise Usage(f"{auto}: autostart folder not found")
    plan = Plan(
        args.map, devmap.source, args.toolstack, args.running, auto and _abs(auto)
    )
    running = read_dump(args.running, devmap) if args.running else None

    jobs, missing = collect(args.paths, args.include, args.exclude)
    if missing:
        raise Failed("\n".join(missing))
    migrate = Migrate(devmap)
    by_name: dict[str, list[Domain]] = {}
    for job in jobs:
        if job.real == "-":
            raise Usage("plan needs files: a config from standard input has no path")
        try:
            with open(job.real, "rb") as fh:
                data = fh.read()
        except OSError as e:
            raise Usage(f"{job.path}: {e.strerror or e}") from None
        try:
            doc = parse_bytes(data, job.path)
        except ParseError as e:
            raise Failed(e.format(job.path)) from None
        config = _abs(job.real if os.path.islink(job.path) else job.path)
        dom = Domain(_doc_name(doc), config, job.path, doc.fmt)
        edits, findings = migrate.run(doc)
        _take_findings(dom, findings)
        if not dom.todo:
            plan.nothing.append(dom.label)
            continue
        if edits:
            dom.old, dom.new = data, doc.apply(edits)
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
            find_links(dom, auto)
        plan.domains.append(dom)

    for name, doms in by_name.items():
        if len(doms) > 1:
            shown = ", ".join(d.shown for d in doms)
            for d in doms:
                d.reasons.append(f"several configs define domain {name}: {shown}")
    if running is not None:
        apply_dump(plan, running, by_name, args.toolstack)
    return plan


def _abs(path: str) -> str:
    return os.path.abspath(path)


def _doc_name(doc: Document) -> str | None:
    if doc.fmt == "sxp":
        names = [n for n, _ in sxp_domains(doc)]
        if not names:
            names = [
                sxp_field(top, "name")
                for top in doc.body
                if getattr(top, "head", None) == "vm"
            ]
        return names[0] if len(names) == 1 else None
    name = None
    for s in doc.settings("name"):
        if s.conditional:
            return None
        value = s.value
        name = getattr(value, "value", None) if value.kind == "str" else None
    return name


def _take_findings(dom: Domain, findings) -> None:
    for f in findings:
        where = f"{f.path}:{f.line}:{f.col}"
        if f.kind == "migrate":
            dom.disks.append(Disk(f.old, f.new, where))
        elif f.kind in BLOCKING:
            dom.reasons.append(f"{where}: {f.message}")


def run_plan(args) -> int:
    from .cli import err, load_map_or_fail

    devmap = load_map_or_fail(args.map, args.map_format)
    plan = build(args, devmap)
    if args.format == "sh":
        from .plan_sh import render_sh

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
