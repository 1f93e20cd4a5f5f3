"""Which host path a disk spec opens, whatever its spelling.

One rule for every spelling of the same disk (xl-disk-configuration(5)):
the legacy prefixes ``phy:``, ``file:``, ``tap:``, ``tap2:``, ``tapdisk:``,
``aio:``, ``ioemu:`` only pick a backend, and ``raw:``, ``qcow:``,
``qcow2:``, ``vhd:`` (xend also ``vmdk:``, ``sync:``, ``ram:``) are the
deprecated spelling of ``format=``.  Each of them, like ``backendtype=phy``,
``qdisk`` or ``tap``, opens the target path in the backend domain: a qcow2
image on ``/dev/sdj`` lives on the SCSI disk ``/dev/sdj`` whether it is
written ``qcow2:/dev/sdj``, ``/dev/sdj,qcow2,...`` or
``format=qcow2,...,target=/dev/sdj``.  A block script (``iscsi:``,
``nbd:``, ``drbd:``, ``script=``) reads the target as its own argument: no
host path.
"""

from __future__ import annotations

import re

from ..diskspec import DiskSpec

_SCRIPTS = ("iscsi:", "nbd:", "enbd:", "drbd:")
_LOCAL_BACKENDS = (None, "", "phy", "qdisk", "tap", "standalone")
_PREFIX = re.compile(r"[^:]*:")
_DEV_NUMBER = re.compile(r"^\d+:\d+$")


def host_path(spec: DiskSpec) -> str | None:
    """The host path the spec opens (``/dev/...`` for a bare or ``phy:``
    device name such as ``sdc``), or None when the target is no host path."""
    if spec.path is None or not spec.path.text.strip():
        return None
    if spec.script or spec.backendtype not in _LOCAL_BACKENDS:
        return None
    parts = _PREFIX.findall(spec.prefix) if spec.prefix else ()
    if any(p in _SCRIPTS for p in parts):
        return None
    path = spec.path.text
    if path.startswith("/"):
        return path
    if _DEV_NUMBER.match(path):
        return None  # a bare major:minor: the caller says it cannot tell
    # xl (and xend's phy:) read a relative name as a device under /dev.
    if ":" in path or any(p not in ("phy:", "raw:") for p in parts):
        return None
    return "/dev/" + path


_LITERAL = re.compile(
    r"""^\s*[uU]?(['"])((?:(?!\1)[^\\%]|%%|%[-+ #0]*\d*[diuxXo])*)\1\s*%"""
)
_NUMBER = re.compile(r"%[-+ #0]*\d*[diuxXo]")


def computed_targets(raw: str) -> list[str] | None:
    """Sample values of a ``'...%d...' % x`` disk whose only placeholders are
    numbers, or None when the value may be anything (``%s`` could carry
    ``../dev/sda``; a variable or a call could hold any disk)."""
    m = _LITERAL.match(raw)
    if m is None:
        return None
    fmt = m.group(2).replace("%%", "%")
    return [_NUMBER.sub(digit, fmt) for digit in ("0", "1", "9", "10")]
