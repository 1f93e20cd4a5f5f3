"""What the script says is left to do when it stops before the patch."""

from __future__ import annotations

from .model import Domain


def undo_text(dom: Domain, ts: str, links: int) -> str:
    """Before the patch: what puts the host back as it was, the domain
    stopped and the first ``links`` autostart links parked."""
    todo = []
    if not dom.managed:
        was = "already migrated" if dom.restart else "the old config"
        todo.append(f"{dom.config} is unchanged ({was})")
    if dom.running is not False:
        if dom.managed:
            todo.append(f"{ts} start {dom.name} (if it does not run now)")
        else:
            todo.append(f"{ts} create {dom.config} (if it does not run now)")
    todo += [f"mv {link.parked} {link.path}" for link in dom.links[:links]]
    return "; ".join(todo)
