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

import hashlib
import json
import os
import sys
from dataclasses import dataclass, field

from .document import Document, ParseError, encode
from .formats.detect import parse_bytes
from .transforms.disks import sxp_domains, sxp_field
from .transforms.migrate import Migrate

DEFAULT_AUTO = "/etc/xen/auto"
PARKED_SUFFIX = ".xencfg-suspended"
BLOCKING = ("unmapped", "computed", "symbolic", "unsupported", "policy")


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


# -- the model ------------------------------------------------------------------
@dataclass
class Disk:
    old: str
    new: str | None
    where: str  # PATH:LINE:COL


@dataclass
class Link:
    path: str  # the autostart entry, absolute
    target: str  # its readlink text, kept exactly
    parked: str  # where it waits while suspended


@dataclass
class Domain:
    name: str | None
    config: str | None  # absolute path of the file to patch and create
    shown: str  # as named on the command line (or "xend" for managed)
    fmt: str = "xl"
    managed: bool = False
    running: bool | None = None  # None: the script checks at run time
    on_xend_start: str | None = None
    disks: list[Disk] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)
    old: bytes | None = None
    new: bytes | None = None
    diff: str = ""

    @property
    def blocked(self) -> bool:
        return bool(self.reasons)

    @property
    def todo(self) -> bool:
        return bool(self.reasons) or any(d.new for d in self.disks)

    @property
    def label(self) -> str:
        return self.name or os.path.basename(self.shown)


@dataclass
class Plan:
    map_path: str
    map_source: str
    toolstack: str
    running_path: str | None
    auto_dir: str | None
    domains: list[Domain] = field(default_factory=list)
    nothing: list[str] = field(default_factory=list)

    @property
    def ready(self) -> list[Domain]:
        return [d for d in self.domains if d.todo and not d.blocked]

    @property
    def blocked(self) -> list[Domain]:
        return [d for d in self.domains if d.blocked]


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# -- building the plan ------------------------------------------------------------
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
    running = _read_dump(args.running, devmap) if args.running else None

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
            _find_links(dom, auto)
        plan.domains.append(dom)

    for name, doms in by_name.items():
        if len(doms) > 1:
            shown = ", ".join(d.shown for d in doms)
            for d in doms:
                d.reasons.append(f"several configs define domain {name}: {shown}")
    if running is not None:
        _apply_dump(plan, running, by_name, args.toolstack)
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


def _find_links(dom: Domain, auto: str) -> None:
    parked_dir = _abs(auto).rstrip("/") + PARKED_SUFFIX
    for entry in sorted(os.listdir(auto)):
        full = os.path.join(_abs(auto), entry)
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


# -- the running domains -----------------------------------------------------------
@dataclass
class Running:
    name: str
    domid: int | None
    on_xend_start: str | None
    disks: list[Disk]
    reasons: list[str]


def _read_dump(path: str, devmap) -> dict[str, Running]:
    from .cli import Failed, Usage

    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError as e:
        raise Usage(f"{path}: {e.strerror or e}") from None
    try:
        doc = parse_bytes(data, path, "sxp")
    except ParseError as e:
        raise Failed(e.format(path)) from None
    out: dict[str, Running] = {}
    for name, node in sxp_domains(doc):
        if name is None:
            continue
        domid = sxp_field(node, "domid")
        try:
            num = int(domid) if domid is not None else None
        except ValueError:
            num = None
        out[name] = Running(name, num, sxp_field(node, "on_xend_start"), [], [])
    if not out:
        raise Failed(f"{path}:1:1: error: no (domain ...) with a (name ...) found")
    _, findings = Migrate(devmap).run(doc)
    for f in findings:
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


def _apply_dump(plan: Plan, running, by_name, toolstack: str) -> None:
    known = {d.name for d in plan.domains if d.name} | set(plan.nothing)
    for dom in plan.domains:
        run = running.get(dom.name or "")
        dom.running = _is_running(run)
        if not dom.running:
            continue
        if run.reasons:
            dom.reasons.extend(f"running domain: {r}" for r in run.reasons)
        live = sorted(d.old for d in run.disks)
        mine = sorted(d.old for d in dom.disks)
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
        if toolstack != "xm":
            dom.reasons.append(
                "xend-managed (its config is only in xend): needs --toolstack xm"
            )
        plan.domains.append(dom)


# -- steps, shared by the text and JSON renderers ----------------------------------
def steps(plan: Plan, dom: Domain) -> list[dict]:
    ts = plan.toolstack
    name = dom.name or "?"
    out: list[dict] = []
    out.append(
        {
            "op": "disks",
            "text": "disks and their new devices (HDLM step 1, from the map):",
            "disks": [vars(d) for d in dom.disks],
        }
    )
    out.append(
        {
            "op": "verdict",
            "text": "verdict (HDLM step 2): every SCSI disk is in the map; "
            "can be migrated",
            "notes": dom.notes,
        }
    )
    stop = [ts, "shutdown", "-w", name]
    if dom.running is None:
        text = f"stop (step 3): if it runs ({ts} list {name}): {' '.join(stop)}"
    elif dom.running:
        text = f"stop (step 3): running: {' '.join(stop)}"
    else:
        text = "stop (step 3): not running per DUMP: nothing to stop"
    out.append({"op": "stop", "running": dom.running, "command": stop, "text": text})
    out.append(_suspend(plan, dom))
    if dom.managed:
        out.append(
            {
                "op": "patch",
                "manual": True,
                "text": "change the disks (steps 4-5, manual checkpoint): "
                + managed_edit_text(dom),
            }
        )
    else:
        out.append(
            {
                "op": "patch",
                "manual": False,
                "path": dom.config,
                "sha256_old": sha256(dom.old or b""),
                "sha256_new": sha256(dom.new or b""),
                "diff": dom.diff,
                "text": f"patch the config (steps 4-5): {dom.config}",
            }
        )
    out.append(
        {"op": "checkpoint", "text": "checkpoint (manual): " + multipath_text(dom)}
    )
    if dom.managed:
        start = [ts, "start", name]
    elif dom.fmt == "sxp":
        start = [ts, "create", "-F", dom.config]
    else:
        start = [ts, "create", dom.config]
    if dom.running is False:
        text = (
            "start (step 7): it was not running: not started "
            f"(start it later with: {' '.join(start)})"
        )
    elif dom.running is None:
        text = f"start (step 7): if it was running: {' '.join(start)}"
    else:
        text = f"start (step 7): {' '.join(start)}"
    out.append({"op": "start", "running": dom.running, "command": start, "text": text})
    out.append(_restore(plan, dom))
    return out


def _suspend(plan: Plan, dom: Domain) -> dict:
    if dom.managed:
        if dom.on_xend_start in (None, "ignore"):
            return {
                "op": "suspend-autostart",
                "manual": False,
                "links": [],
                "text": "suspend autostart: on_xend_start is "
                f"{dom.on_xend_start or 'unset'}: nothing to suspend",
            }
        return {
            "op": "suspend-autostart",
            "manual": True,
            "on_xend_start": dom.on_xend_start,
            "text": f"suspend autostart (manual checkpoint): recorded "
            f"(on_xend_start {dom.on_xend_start}); set it to ignore in xend "
            "(see the disk change below: the same edit of the domain's "
            "S-expression can carry it)",
        }
    links = [vars(link) for link in dom.links]
    if not links:
        where = plan.auto_dir or "(no autostart folder)"
        text = f"suspend autostart: no link in {where}: nothing to suspend"
    else:
        text = "suspend autostart: " + "; ".join(
            f"mv {link.path} {link.parked} (recorded: -> {link.target})"
            for link in dom.links
        )
    return {"op": "suspend-autostart", "manual": False, "links": links, "text": text}


def _restore(plan: Plan, dom: Domain) -> dict:
    if dom.managed:
        if dom.on_xend_start in (None, "ignore"):
            return {
                "op": "restore-autostart",
                "manual": False,
                "links": [],
                "text": "restore autostart: nothing was suspended",
            }
        return {
            "op": "restore-autostart",
            "manual": True,
            "on_xend_start": dom.on_xend_start,
            "text": "restore autostart (manual checkpoint): set "
            f"(on_xend_start {dom.on_xend_start}) again",
        }
    links = [vars(link) for link in dom.links]
    if not links:
        text = "restore autostart: nothing was suspended"
    else:
        text = "restore autostart: " + "; ".join(
            f"mv {link.parked} {link.path} (check: -> {link.target})"
            for link in dom.links
        )
    return {"op": "restore-autostart", "manual": False, "links": links, "text": text}


def managed_edit_text(dom: Domain) -> str:
    uname = "; ".join(f"(uname {d.old}) -> (uname {d.new})" for d in dom.disks)
    return (
        f"{dom.name} is xend-managed: its config lives in xend, not in a file. "
        f"Change {uname}: 'xm list -l {dom.name} > {dom.name}.sxp', edit "
        f"those uname values, then 'xm delete {dom.name}' and "
        f"'xm new -F {dom.name}.sxp' (or set them through the Xen API)"
    )


def multipath_text(dom: Domain) -> str:
    news = ", ".join(d.new.rpartition(":")[2] for d in dom.disks)
    return (
        f"switch the LU(s) now used as {news} to multi-path on the storage "
        "side (HDLM step 6), then confirm"
    )


# -- rendering ----------------------------------------------------------------
def render_text(plan: Plan) -> str:
    lines = [_headline(plan)]
    lines.append(
        f"map: {plan.map_path} ({plan.map_source}); toolstack: {plan.toolstack}; "
        f"running: {plan.running_path or '(checked at run time)'}; "
        f"autostart: {plan.auto_dir or '(none)'}"
    )
    if plan.blocked:
        lines.append("")
        lines.append("Cannot be migrated (no steps):")
        for dom in plan.blocked:
            lines.append(f"  {dom.label} ({dom.shown}):")
            lines.extend(f"    - {r}" for r in dom.reasons)
    for dom in plan.ready:
        lines.append("")
        what = "xend-managed" if dom.managed else dom.config
        lines.append(f"== {dom.name} ({what}) ==")
        for no, step in enumerate(steps(plan, dom), 1):
            lines.append(f"{no:2d}. {step['text']}")
            if step["op"] == "disks":
                for d in step["disks"]:
                    lines.append(f"      {d['where']}: {d['old']} -> {d['new']}")
            for note in step.get("notes") or ():
                lines.append(f"      note: {note}")
            if step.get("diff"):
                lines.extend("      " + ln for ln in step["diff"].splitlines())
    if plan.nothing:
        lines.append("")
        lines.append("Nothing to do: " + ", ".join(plan.nothing))
    return "\n".join(lines) + "\n"


def _headline(plan: Plan) -> str:
    ready, blocked = len(plan.ready), len(plan.blocked)
    if not ready:
        head = "xencfg plan: nothing to migrate"
    else:
        head = f"xencfg plan: {ready} domain{'s' if ready != 1 else ''} to migrate"
    if blocked:
        head += f"; {blocked} cannot be migrated (see below)"
    return head


def render_json(plan: Plan) -> str:
    doc = {
        "format": "xencfg-plan",
        "version": 1,
        "map": plan.map_path,
        "map_source": plan.map_source,
        "toolstack": plan.toolstack,
        "running": plan.running_path,
        "auto_dir": plan.auto_dir,
        "summary": {
            "migrate": len(plan.ready),
            "blocked": len(plan.blocked),
            "nothing_to_do": len(plan.nothing),
        },
        "blocked": [
            {"name": d.name, "config": d.config, "reasons": d.reasons}
            for d in plan.blocked
        ],
        "domains": [
            {
                "name": d.name,
                "config": d.config,
                "managed": d.managed,
                "running": d.running,
                "steps": steps(plan, d),
            }
            for d in plan.ready
        ],
        "nothing_to_do": plan.nothing,
    }
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


# -- entry point --------------------------------------------------------------
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
