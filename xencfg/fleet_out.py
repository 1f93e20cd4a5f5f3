"""``xencfg fleet plan|check``: the fleet table, its JSON, and the plans
written per host (HOST.sh, HOST.patch)."""

from __future__ import annotations

import json
import os
import sys

from .document import encode
from .errors import CHANGED, OK, Failed, Usage, err
from .fleet import plan_hosts
from .fleet_lu import check_across


def rows(host) -> list[dict]:
    """One row per domain of a host: name, config, state, reasons."""
    plan = host.plan
    out = []
    for dom in plan.domains:
        if dom.blocked:
            state = "blocked"
        elif not dom.todo:
            continue
        elif dom.restart:  # config already migrated, still runs on SCSI
            state = "needs restart"
        else:
            state = "to migrate"
        out.append(
            {
                "domain": dom.label,
                "config": dom.config,
                "state": state,
                "reasons": list(dom.reasons),
                "notes": list(dom.notes),
            }
        )
    for name in plan.nothing:
        out.append(
            {
                "domain": name,
                "config": None,
                "state": "done",
                "reasons": [],
                "notes": [],
            }
        )
    return out


def run_fleet(args) -> int:
    hosts = plan_hosts(args.inventory, args.jobs)
    bad = [h for h in hosts if h.error]
    if bad:
        # No plan for part of the fleet: it could miss cross-host conflicts.
        for h in bad:
            err(h.error)
        names = ", ".join(h.name for h in bad[:10])
        more = f" and {len(bad) - 10} more" if len(bad) > 10 else ""
        raise Failed(
            f"xencfg: error: {len(bad)} host(s) with bad input: {names}{more}; "
            "no plans written"
        )
    check_across(hosts)
    written = {}
    if args.action == "plan":
        written = write_plans(hosts, args.output)
    data = {h.name: rows(h) for h in hosts}
    if args.format == "json":
        text = render_json(hosts, data, written, args)
    else:
        text = render_table(hosts, data, written)
    sys.stdout.flush()
    sys.stdout.buffer.write(encode(text))
    sys.stdout.buffer.flush()
    if args.action == "check":
        left = any(r["state"] != "done" for rs in data.values() for r in rs)
        return CHANGED if left else OK
    return OK


def write_plans(hosts, outdir: str) -> dict[str, list[str]]:
    """HOST.sh and HOST.patch for each host with work; a host without work
    keeps no plan of an earlier run."""
    from .plan.sh import render_sh

    if os.path.exists(outdir) and not os.path.isdir(outdir):
        raise Usage(f"{outdir}: not a folder")
    os.makedirs(outdir, exist_ok=True)
    written: dict[str, list[str]] = {}
    for host in hosts:
        sh = os.path.join(outdir, f"{host.name}.sh")
        patch = os.path.join(outdir, f"{host.name}.patch")
        ready = host.plan.ready
        if not ready:
            for stale in (sh, patch):
                if os.path.lexists(stale):
                    os.unlink(stale)
            continue
        _write(sh, _script(host, render_sh(host.plan)), 0o755)
        diffs = "".join(d.diff for d in ready if not d.managed)
        _write(patch, diffs, 0o644)
        written[host.name] = [sh, patch]
    return written


def _script(host, text: str) -> str:
    """The host's runbook, with what the fleet knows about it on top."""
    head, _, rest = text.partition("\n")
    lines = [
        f"# host: {host.name}; toolstack: {host.toolstack} ({host.toolstack_from})"
    ]
    lines += [f"# note: {n}" for n in host.notes]
    return head + "\n" + "\n".join(lines) + "\n" + rest


def _write(path: str, text: str, mode: int) -> None:
    tmp = path + ".tmp"
    with open(tmp, "wb") as fh:
        fh.write(encode(text))
    os.chmod(tmp, mode)
    os.replace(tmp, path)


def _counts(data) -> dict[str, int]:
    counts = {"to migrate": 0, "needs restart": 0, "blocked": 0, "done": 0}
    for rs in data.values():
        for r in rs:
            counts[r["state"]] += 1
    return counts


def render_table(hosts, data, written) -> str:
    width = max([4] + [len(h.name) for h in hosts])
    dwidth = max([6] + [len(r["domain"]) for rs in data.values() for r in rs])
    lines = [f"{'HOST':<{width}}  {'DOMAIN':<{dwidth}}  STATE"]
    for host in hosts:
        for note in host.notes:
            lines.append(f"{host.name:<{width}}  {'-':<{dwidth}}  note: {note}")
        if not data[host.name]:
            lines.append(f"{host.name:<{width}}  {'-':<{dwidth}}  nothing configured")
        for r in data[host.name]:
            state = r["state"]
            if r["reasons"]:
                state += ": " + r["reasons"][0].replace("\n", " ")
                if len(r["reasons"]) > 1:
                    state += f" (+{len(r['reasons']) - 1} more)"
            lines.append(f"{host.name:<{width}}  {r['domain']:<{dwidth}}  {state}")
            for note in r["notes"]:
                lines.append(f"{'':<{width}}  {'':<{dwidth}}  note: {note}")
    lines.append(_summary(hosts, data, written))
    return "\n".join(lines) + "\n"


def _summary(hosts, data, written) -> str:
    c = _counts(data)
    text = (
        f"xencfg fleet: {len(hosts)} host{'s' if len(hosts) != 1 else ''}; "
        f"{c['to migrate']} to migrate, {c['needs restart']} "
        f"need{'s' if c['needs restart'] == 1 else ''} restart, "
        f"{c['blocked']} blocked, {c['done']} done"
    )
    if written:
        text += f"; plans for {len(written)} host(s)"
    return text


def render_json(hosts, data, written, args) -> str:
    doc = {
        "format": "xencfg-fleet",
        "version": 1,
        "inventory": os.path.abspath(args.inventory),
        "summary": {"hosts": len(hosts), **_counts(data)},
        "hosts": [
            {
                "host": h.name,
                "toolstack": h.toolstack,
                "toolstack_from": h.toolstack_from,
                "running": h.running,
                "map_source": h.devmap.source,
                "lu_identity": h.devmap.has_lu_ids,
                "notes": h.notes,
                "plans": written.get(h.name, []),
                "domains": data[h.name],
            }
            for h in hosts
        ],
    }
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def fleet_args(sub) -> None:
    for action, helptext in (
        ("plan", "plan every host of an inventory folder: HOST.sh, HOST.patch"),
        ("check", "the fleet's verdicts, no plans; exit 1 if anything is left"),
    ):
        p = sub.add_parser(action, help=helptext)
        p.set_defaults(action=action)
        p.add_argument("inventory", metavar="INVENTORY", help="one folder per host")
        if action == "plan":
            p.add_argument(
                "-o",
                "--output",
                metavar="OUTDIR",
                default="xencfg-plans",
                help="where HOST.sh and HOST.patch go (default: ./xencfg-plans)",
            )
        p.add_argument("--format", choices=("text", "json"), default="text")
        p.add_argument("-j", "--jobs", type=int, default=None, help="worker processes")
