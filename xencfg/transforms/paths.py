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


from ..lazy import Pattern  # rare shapes: compiled when first met
from ..diskspec import DiskSpec, parse_disk, prefix_parts
from .. import rxstore

_SCRIPTS = ("iscsi:", "nbd:", "enbd:", "drbd:")
_LOCAL_BACKENDS = (None, "", "phy", "qdisk", "tap", "standalone")
_PREFIX = rxstore.compile(r"[^:]*:")
_DEV_NUMBER = Pattern(r"^\d+:\d+$")


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


# xm's older reading, which the plan records disks by: a block device
# is a phy: (or raw:) target, or a path under /dev/.
def _as_spec(spec: DiskSpec | str) -> DiskSpec:
    return parse_disk(spec) if isinstance(spec, str) else spec


def is_block_target(spec: DiskSpec | str) -> bool:
    """True when the target is a host block device as xl/xm treat it.

    That is: backendtype absent or ``phy``, no block script, and either a
    ``phy:`` prefix (``phy:sdc`` means /dev/sdc) or no prefix other than
    ``raw:`` with a path under /dev/ (or a relative name, which xl prefixes
    with /dev/).  ``file:``, ``tap*:``, ``qcow:``, ``iscsi:`` ... are false.
    The format field is not consulted: a qcow2 image on /dev/sdb still lives
    on a host block device.
    """
    spec = _as_spec(spec)
    if spec.path is None or not spec.path.text:
        return False
    if spec.backendtype not in (None, "", "phy") or spec.script:
        return False
    parts = prefix_parts(spec.prefix)
    if any(p not in ("phy:", "raw:") for p in parts):
        return False
    if "phy:" in parts:
        return True
    path = spec.path.text
    return path.startswith("/dev/") or (not path.startswith("/") and ":" not in path)


def block_device(spec: DiskSpec | str) -> str | None:
    """The host device path, normalised to /dev/..., or None if not a block target."""
    spec = _as_spec(spec)
    if not is_block_target(spec):
        return None
    path = spec.path.text
    return path if path.startswith("/") else "/dev/" + path


_LITERAL = Pattern(
    r"""^\s*[uU]?(['"])((?:(?!\1)[^\\%]|%%|%[-+ #0]*\d*[diuxXo])*)\1\s*%"""
)
_NUMBER = Pattern(r"%[-+ #0]*\d*[diuxXo]")


def computed_targets(raw: str) -> list[str] | None:
    """Sample values of a ``'...%d...' % x`` disk whose only placeholders are
    numbers, or None when the value may be anything (``%s`` could carry
    ``../dev/sda``; a variable or a call could hold any disk)."""
    m = _LITERAL.match(raw)
    if m is None:
        return None
    fmt = m.group(2).replace("%%", "%")
    return [_NUMBER.sub(digit, fmt) for digit in ("0", "1", "9", "10")]
