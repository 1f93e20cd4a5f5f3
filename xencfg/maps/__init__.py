"""Device maps: which SCSI disk (``/dev/sdX``) becomes which multipath device.

A map is read from the output of a multipath tool (``dlmcfgmgr -v``,
``dlnkmgr view -lu``, ``multipath -ll``, ``powermt display dev=all``) or from
a plain two-column file, and answers "what replaces ``/dev/sdb2``?".

Getting a map wrong moves a guest onto another LU, so the parsers are strict
about anything that decides a pair (names, field counts, numbers, a SCSI disk
listed twice) and tolerant only of capture noise (prompts, blank lines,
``:`` elision rows, tool messages, collapsed column spacing).

This package is the registry: the formats, detection and the entry points.
The model lives in :mod:`.devicemap`, what the parsers share in :mod:`.base`,
one module per source beside them.
"""

from __future__ import annotations

import re
import sys

from .base import MapError, aix_error, content_lines, empty_map
from .devicemap import LU_SCHEMES, DeviceMap, MultipathDevice, PathInfo

FORMATS = ("auto", "dlmcfgmgr", "dlnkmgr", "multipath", "powermt", "plain")

#: the module of each source's parser, in the order detection tries them;
#: a parser is imported when its format is chosen or tried (see source())
SOURCES = {
    "dlmcfgmgr": "xencfg.maps.dlmcfgmgr",
    "dlnkmgr": "xencfg.maps.dlnkmgr",
    "powermt": "xencfg.maps.powermt",
    "multipath": "xencfg.maps.multipath",
    "plain": "xencfg.maps.plain",
}


def source(name: str):
    """The parser module of the source ``name`` (a key of :data:`SOURCES`):
    it has ``looks_like(text)`` and ``parse(lines)``."""
    module = SOURCES[name]
    # (__import__, not importlib: that package, and warnings, cost a
    # pre-commit run a millisecond to load)
    __import__(module)
    return sys.modules[module]


def detect(text: str) -> str:
    """Name of the format of *text* (one of :data:`FORMATS` but ``auto``).

    Raises :class:`MapError` when the text is no device map we know.
    """
    lines = text.splitlines()
    content = content_lines(lines)
    first = next(content, None)
    if first is None:
        raise empty_map()
    if "hdisk" in text:  # (a test of the text spares a search of each line)
        for no, line in [first, *content]:
            if re.search(r"\bhdisk(?:power)?\d+\b", line):
                raise aix_error(no)
    for name in SOURCES:
        if source(name).looks_like(text):
            return name
    for no, line in content_lines(lines):
        s = line.strip()
        if s.startswith("(") or "(uname " in s:
            raise MapError(
                "not a device map: this looks like an 'xm list -l' "
                "S-expression (domain configuration), not the output of "
                "dlmcfgmgr -v, dlnkmgr view -lu, multipath -ll or powermt",
                no,
            )
    raise MapError(
        "not a device map: expected the output of 'dlmcfgmgr -v', "
        "'dlnkmgr view -lu', 'multipath -ll', 'powermt display dev=all' "
        "or lines of 'SCSI-DISK MULTIPATH-DEVICE'",
        first[0],
    )


def parse_map(text: str, fmt: str = "auto", path: str = "-") -> DeviceMap:
    """Parse a device map.  *fmt* is one of :data:`FORMATS`; *path* is only
    used to name the input in messages.  Raises :class:`MapError`."""
    if fmt not in FORMATS:
        raise MapError(f"unknown map format {fmt!r} (one of {', '.join(FORMATS)})")
    if text.startswith("\ufeff"):
        text = text[1:]
    try:
        _check_size(text)
        if fmt == "auto":
            fmt = detect(text)
        elif not any(content_lines(text.splitlines())):
            raise empty_map()
        dm = source(fmt).parse(text.splitlines())
        dm.origin = f"{fmt}\0{text}"
        return dm
    except MapError as err:
        if err.path is None:
            err.path = path
        raise


#: More line breaks than any device map has (multipath -ll of 4,096 LUs with
#: 8 paths each is about 45,000 lines): a bigger text is refused before it
#: is split, so a huge file costs neither minutes nor its size in lines.
MAX_MAP_LINES = 200_000
_BREAKS = "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"  # what splitlines() splits at


def _check_size(text: str) -> None:
    breaks = 0
    for c in _BREAKS:
        breaks += text.count(c)
        if breaks > MAX_MAP_LINES:
            raise MapError(
                f"more than {MAX_MAP_LINES:,} lines: larger than any device map; "
                "not read",
                MAX_MAP_LINES + 1,
            )


def load_map(path: str, fmt: str = "auto") -> DeviceMap:
    """Read and parse a map file; ``-`` reads standard input."""
    try:
        if path == "-":
            data = sys.stdin.buffer.read()
        else:
            with open(path, "rb") as fh:
                data = fh.read()
    except OSError as exc:
        err = MapError(f"cannot read device map: {exc.strerror or exc}")
        err.path = path
        raise err from exc
    return parse_map(data.decode("utf-8", errors="replace"), fmt=fmt, path=path)


__all__ = [
    "FORMATS",
    "SOURCES",
    "LU_SCHEMES",
    "DeviceMap",
    "MapError",
    "MultipathDevice",
    "PathInfo",
    "detect",
    "load_map",
    "parse_map",
]
