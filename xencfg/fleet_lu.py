"""The cross-host rule of ``xencfg fleet``: a domain configured on several
hosts must reach the same LU, by the same multipath name, on each.

For each disk of a domain to migrate on host A (SCSI device D, LU L by A's
map, new device M): on every other host B that configures the same domain,
L must be served by a multipath device of B's map with the same name as M;
and where B's config of the domain uses the same SCSI name D, B's map must
say D is the same LU L.  Otherwise the domain is blocked on every host where
it is configured, the reason naming both hosts, devices and LUs.

When a map does not name LUs (``dlmcfgmgr -v``, plain maps), only device
names are compared: D must map to the same name M on B, and the plan notes
that the check was weaker.  Disks are compared by LU, not by guest slot.
"""

from __future__ import annotations

from .maps import names as _names


def check_across(hosts) -> None:
    """Block the domains that break the cross-host rule (in place)."""
    where: dict[str, list] = {}  # domain name -> hosts configuring it
    for host in hosts:
        if host.plan is None:
            continue
        for name in _configured(host.plan):
            where.setdefault(name, []).append(host)
    for name, on in where.items():
        if len(on) < 2:
            continue
        reasons: list[str] = []
        weak = [h.name for h in on if not h.devmap.has_lu_ids]
        for a in on:
            for b in on:
                if a is not b:
                    reasons.extend(_conflicts(name, a, b, bool(weak)))
        for host in on:
            dom = _domain(host.plan, name)
            if dom is None:
                continue
            if weak:
                dom.notes.append(
                    f"cross-host check of {name} by device names only (no LU "
                    f"identity in the map of {', '.join(weak)}): a weaker check"
                )
            for r in dict.fromkeys(reasons):
                if r not in dom.reasons:
                    dom.reasons.append(r)


def _configured(plan) -> list[str]:
    names = [d.name for d in plan.domains if d.name and not d.managed]
    return names + [n for n in plan.nothing if n not in names]


def _domain(plan, name: str):
    for dom in plan.domains:
        if dom.name == name and not dom.managed:
            return dom
    return None


def _conflicts(name: str, a, b, weak: bool) -> list[str]:
    dom = _domain(a.plan, name)
    if dom is None:
        return []
    theirs = _domain(b.plan, name)
    their_disks = {d.old.rpartition(":")[2]: d for d in theirs.disks} if theirs else {}
    out = []
    for d in dom.disks:
        if d.new is None:
            continue
        new = d.new.rpartition(":")[2]
        old = d.old.rpartition(":")[2]
        if weak:
            there = b.devmap.lookup(old)
            if there != new:
                out.append(
                    f"{name} on {a.name}: {old} -> {new}, but on {b.name} "
                    f"{old} -> {there or '(not in the map)'} (compared by "
                    "device name: no LU identity in the maps)"
                )
            continue
        out.extend(_by_lu(name, a, b, old, new, their_disks))
    return out


def _by_lu(name, a, b, old, new, their_disks) -> list[str]:
    out = []
    lu = a.devmap.lu_of(old)
    part = _names.split_partition(_names.normalize(old))[1]
    mp = b.devmap.multipath_of_lu(lu) if lu else None
    mine = their_disks.get(old)
    if lu is not None and mine is not None:
        # the same SCSI name in both configs: the most direct conflict first
        other = b.devmap.lu_of(old)
        if other != lu:
            out.append(
                f"{name}: {old} is LU {lu} on {a.name} but LU "
                f"{other or '(unknown)'} on {b.name}"
            )
    if lu is None:
        out.append(f"{name} on {a.name}: the map does not name the LU of {old}")
    elif mp is None:
        out.append(
            f"{name}: {old} on {a.name} is LU {lu} ({new}), which the map of "
            f"{b.name} does not serve"
        )
    elif mp + part != new:
        out.append(
            f"{name}: LU {lu} is {new} on {a.name} ({old}) but {mp + part} on "
            f"{b.name}: the migrated configs would name it differently"
        )
    return out
