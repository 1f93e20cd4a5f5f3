"""Text and JSON output for ``xencfg plan``."""

from __future__ import annotations

import json

from .model import Plan
from .steps import steps


def render_text(plan: Plan) -> str:
    lines = [_headline(plan)]
    lines.append(
        f"map: {plan.map_path} ({plan.map_source}); toolstack: {plan.toolstack}; "
        f"running: {plan.running_path or '(checked at run time)'}; "
        f"autostart: {plan.auto_dir or '(none)'}"
    )
    if plan.parked:
        lines.append("")
        lines.append(PARKED_HEAD)
        lines.extend(f"  {parked_text(link)}" for link in plan.parked)
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


PARKED_HEAD = (
    "Autostart links parked by an earlier run (their domains do not "
    "autostart until each is put back by hand):"
)


def parked_text(link) -> str:
    return f"mv {link.parked} {link.path}   (-> {link.target})"


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
        "parked": [vars(link) for link in plan.parked],
    }
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
