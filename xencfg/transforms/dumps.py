"""Running-state dumps of xl-era hosts: ``xl list -l`` as JSON and as xl's
S-expressions (``output_format="sxp"`` in xl.conf).

JSON (libxl's ``libxl_domain_config``, one object per domain)::

    [ { "domid": 3,
        "config": { "c_info": { "name": "app9", ... },
                    "disks": [ { "pdev_path": "/dev/sdb", "vdev": "xvda",
                                 "backend": "phy", "format": "raw", ... } ],
                    ... } } ]

xl's S-expressions (one ``(domain ...)`` per domain; every disk is printed
as ``tap`` whatever its backend, ``phystype`` being the backend number)::

    (domain (domid 3) ... (name app9) ...
        (device (tap (backend_domid 0) (frontend_domid 3)
                     (physpath /dev/sdb) (phystype 1) (virtpath xvda) ...)))

A disk's device is its ``pdev_path`` / ``physpath``: a disk site of form
"path".  A disk served by another backend domain than dom0 names a device
inside that domain, where dom0's map means nothing: it gets a note (a
warning) instead of a verdict.  libxl leaves default values out of its JSON,
so a missing ``backend_domid`` is 0 and a missing ``domid`` is unknown.
"""

from __future__ import annotations

from ..document import Document, List, Scalar, Str
from .site import DiskSite, driver_domain, sxp_domains, sxp_field


def _value(node) -> str | None:
    if isinstance(node, (Str, Scalar)):
        return node.value
    return None


def _members(node, key: str):
    get = getattr(node, "get", None)
    return get(key) if get is not None else None


def _json_domains(doc: Document, strays: list | None = None):
    """Domain objects of a JSON dump: a list of them, or one alone.  Other
    values go to *strays*: the policy gate must not pass them in silence."""
    for top in doc.body:
        tops = top.items if type(top) is List else [top]
        for item in tops:
            if _members(item, "config") is not None:
                yield item
            elif strays is not None:
                strays.append(item)


_NOT_A_DOMAIN = (
    'not an \'xl list -l\' domain (expected {"domid": ..., "config": '
    "{...}}): disks in it, if any, are not checked"
)


def _driver_domain(domid: str | None, domname: str | None) -> str:
    return driver_domain(domid, domname)


def json_disks(doc: Document):
    strays: list = []
    for dom in _json_domains(doc, strays):
        config = _members(dom, "config")
        name = _value(_members(_members(config, "c_info"), "name"))
        disks = _members(config, "disks")
        if disks is None:
            continue
        if type(disks) is not List:
            yield DiskSite(
                disks, "path", name, note="'disks' is not a list: not checked"
            )
            continue
        for disk in disks.items:
            path = _members(disk, "pdev_path")
            if path is None or _value(path) == "null" and not isinstance(path, Str):
                if _members(disk, "vdev") is None:
                    yield DiskSite(disk, "path", name, note="not a disk: not checked")
                continue  # an empty cdrom drive
            if not isinstance(path, Str):
                yield DiskSite(path, "path", name, note="pdev_path is not a string")
                continue
            note = _driver_domain(
                _value(_members(disk, "backend_domid")),
                _value(_members(disk, "backend_domname")),
            )
            note = note and f"{path.value} is {note}"
            yield DiskSite(
                path, "path", name, note=note or None, note_kind="driver-domain"
            )
    for item in strays:
        yield DiskSite(item, "path", None, note=_NOT_A_DOMAIN)


def sxp_physpath(device: List, domain: str | None):
    """The disk site of an xl ``(tap ...)``/``(vbd ...)`` with ``physpath``."""
    fields = {}
    for item in device.items[1:]:
        if isinstance(item, List) and item.head and len(item.items) >= 2:
            fields.setdefault(item.head, item.items[1])
    path = fields.get("physpath")
    if not isinstance(path, Str) or path.value == "":
        return None
    note = _driver_domain(_value(fields.get("backend_domid")), None)
    note = note and f"{path.value} is {note}"
    return DiskSite(path, "path", domain, note=note or None, note_kind="driver-domain")


def dump_domains(doc: Document) -> list[tuple[str | None, str | None, str | None]]:
    """``(name, domid, on_xend_start)`` of every domain in a dump (JSON or
    S-expressions, xm or xl)."""
    if doc.fmt == "json":
        out = []
        for dom in _json_domains(doc):
            c_info = _members(_members(dom, "config"), "c_info")
            domid = _value(_members(dom, "domid"))
            out.append(
                (_value(_members(c_info, "name")), None if domid == "null" else domid)
                + (None,)
            )
        return out
    return [
        (name, sxp_field(node, "domid"), sxp_field(node, "on_xend_start"))
        for name, node in sxp_domains(doc)
    ]


def dump_refused(path: str) -> str:
    """apply's error for an ``xl list -l`` dump: running state, not a config."""
    return (
        f"{path}:1:1: error: an 'xl list -l' dump shows what runs, it is not a "
        "config: apply never rewrites it (migrate the domains' configs; "
        "'xencfg plan --running' reads the dump); left unchanged"
    )
