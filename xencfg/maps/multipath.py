"""Linux dm-multipath: ``multipath -ll`` / ``multipath -l`` (also ``-v3``/``-v4``).

RHEL 6+ layout::

    mpatha (360060e80...) dm-2 HITACHI ,OPEN-V
    size=54T features='0' hwhandler='0' wp=rw
    |-+- policy='round-robin 0' prio=1 status=active
    | `- 12:0:0:1 sdc 8:32  active ready running
    `-+- policy='round-robin 0' prio=1 status=enabled
      `- 13:0:0:1 sdf 8:80  active ready running

RHEL 5 layout::

    mpath1 (3600d0230003228bc000339414edb8101) [size=10 GB][features="0"]
    \\_ round-robin 0 [prio=1][active]
     \\_ 2:0:0:6 sdb 8:16 [active][ready]

A device is ``/dev/mapper/NAME`` (alias, user friendly name or WWID); its
LU is its WWID (``wwid:3600...``).  Path
rows must carry a tree marker (``|-``, `` `- ``, ``\\_``): bare rows belong to
the ``-v3``/``-v4`` "paths list", which lists every path of the host, not the
paths of a map, and are ignored.  Other verbose/log noise is ignored.
"""

from __future__ import annotations

import re

from .base import (
    Builder,
    DeviceMap,
    MapError,
    MultipathDevice,
    is_blank,
    is_ellipsis,
    is_log_line,
    is_prompt,
    lu_id,
)
from .names import is_scsi_whole_disk, normalize
from .. import rxstore

_ACTION = r"(?:(?:create|reload|switchpg|rename|grow|reject|update|resize)\s*:\s*)?"
# "alias (wwid) dm-N vendor,product", "wwid dm-N vendor,product" (no alias:
# multipath prints the name alone when it is the WWID), RHEL 5 "alias (wwid)
# [size=...]", RHEL 4 "alias (wwid)".  A WWID may hold spaces: IET iSCSI
# targets give "1IET     00010001", some SATA disks "SATA     WDC_...".
HEADER_RE = rxstore.compile(
    rf"^{_ACTION}(?P<name>[^\s()|`\\:=*#\[\]]+)\s+"
    r"(?:\((?P<wwid>[^()]*)\)\s*(?P<rest1>.*)|(?P<dm>dm-\d+|undef)\b(?P<rest2>.*))$"
)
# What a header we cannot read still looks like (so the error names it).
_HEADERISH_RE = rxstore.compile(r"^\S+\s+\(|\s(?:dm-\d+|undef)\s")
_HCTL = r"(?:\d+|#):(?:\d+|#):(?:\d+|#):(?:\d+|#)"
PATH_RE = rxstore.compile(
    rf"^(?P<prefix>[\s|`\\_+-]*?)(?P<hctl>{_HCTL})\s+(?P<dev>\S+)\s+"
    r"(?P<devt>\d+:\d+|#:#)(?P<status>.*)$"
)
_MARKER_RE = rxstore.compile(r"\\_|[|`]-|-\s*$")
_PATHS_LIST_RE = rxstore.compile(r"^\s*=+\s*paths list\s*=+\s*$")
_PATHS_LIST_HEADER_RE = rxstore.compile(r"^\s*uuid\s+hcil\s+dev\b")
_GROUP_RE = rxstore.compile(
    r"^[\s|`\\_+-]*(?:policy=|round-robin|queue-length|service-time)"
)
_ATTR_RE = rxstore.compile(r"^\s*(?:size=|\[size=)")


def _is_header(line: str) -> re.Match | None:
    m = HEADER_RE.match(line)
    if not m or is_log_line(line):
        return None
    if m.group("wwid") is not None:
        # RHEL6 "alias (wwid) dm-N ..." or RHEL5 "alias (wwid) [size=..."
        # RHEL4 prints "alias (wwid)" alone on the line
        rest = m.group("rest1").strip()
        if rest and not (
            re.match(r"(?:dm-\d+|undef)\b", rest) or rest.startswith("[size=")
        ):
            return None
    return m


def _lu(hm: re.Match) -> str | None:
    wwid = hm.group("wwid")
    if wwid is None:
        return lu_id("multipath", hm.group("name"))  # the name is the WWID
    wwid = wwid.strip()
    return lu_id("multipath", wwid) if wwid else None


def looks_like(text: str) -> bool:
    lines = text.splitlines()
    headers = any(_is_header(line) for line in lines)
    paths = any(
        (m := PATH_RE.match(line)) and _MARKER_RE.search(m.group("prefix"))
        for line in lines
    )
    # a header we cannot read is still multipath output: the parser says why
    return paths and (headers or any(_HEADERISH_RE.search(x) for x in lines))


def _status(text: str) -> str:
    return " ".join(w for w in re.split(r"[\s\[\]]+", text) if w)


def _hctl(text: str) -> tuple[int, int, int, int] | None:
    if "#" in text:
        return None
    return tuple(int(x) for x in text.split(":"))  # type: ignore[return-value]


class _Reader:
    """Reads the lines of one capture into a :class:`Builder`: device
    headers, the tree-marked path rows under them, and noise."""

    def __init__(self, lines: list[str]) -> None:
        self.b = Builder("multipath")
        self.lines = lines
        self.current: MultipathDevice | None = None  # owner of the next path row
        self.interrupted = 0  # line of an unrecognized line since the last header
        self.in_paths_list = False
        self.ignored: list[int] = []
        self.bare: list[int] = []

    def line(self, no: int, line: str) -> None:
        if is_blank(line) or is_ellipsis(line):
            return
        if _PATHS_LIST_RE.match(line):
            self.in_paths_list = True
            return
        pm = PATH_RE.match(line)
        if self.in_paths_list:
            if _PATHS_LIST_HEADER_RE.match(line) or (
                pm and not _MARKER_RE.search(pm.group("prefix"))
            ):
                return
            self.in_paths_list = False
        if pm:
            self._path_row(no, pm)
            return
        hm = _is_header(line)
        if hm:
            name = "/dev/mapper/" + hm.group("name")
            self.current = self.b.device(name, "", no, lu=_lu(hm))
            self.interrupted = 0
        elif _GROUP_RE.match(line) or _ATTR_RE.match(line):
            pass
        elif is_prompt(line):
            self.interrupted = no
        elif is_log_line(line):
            self.b.note(no, f"log line ignored: {line.strip()}")
        else:
            self.ignored.append(no)
            # a path row after this could belong to a map whose header we
            # failed to recognise: never attach it to the map above
            self.interrupted = no

    def _path_row(self, no: int, pm: re.Match) -> None:
        if not _MARKER_RE.search(pm.group("prefix")):
            self.bare.append(no)
            self.interrupted = no
            return
        current = self._owner(no)
        dev_s = pm.group("dev")
        if dev_s in ("-", "#"):
            device = None
        else:
            device = normalize(dev_s)
            if not is_scsi_whole_disk(device):
                self.b.note(
                    no,
                    f"path {dev_s} of {current.name} is not a SCSI disk "
                    "(/dev/sdX); not mapped",
                )
                return
        hctl = _hctl(pm.group("hctl"))
        self.b.path(current, device, hctl, _status(pm.group("status")), no)

    def _owner(self, no: int) -> MultipathDevice:
        """The device a tree-marked path row at line *no* belongs to."""
        interrupted = self.interrupted
        if interrupted and _HEADERISH_RE.search(self.lines[interrupted - 1]):
            raise MapError(
                "cannot read this multipath device header (expected "
                "'ALIAS (WWID) dm-N VENDOR,PRODUCT', 'WWID dm-N "
                "VENDOR,PRODUCT' or 'ALIAS (WWID) [size=...]'): "
                f"{self.lines[interrupted - 1].strip()}",
                interrupted,
            )
        if self.current is None:
            raise MapError(
                "path row before any multipath device: cannot tell which "
                "device it belongs to",
                no,
            )
        if interrupted:
            raise MapError(
                f"path row follows an unrecognized line ({interrupted}) "
                f"instead of the listing of {self.current.name}: cannot tell "
                "which device it belongs to",
                no,
            )
        return self.current

    def finish(self) -> DeviceMap:
        self._count(self.ignored, "line(s) of verbose output ignored", "")
        self._count(
            self.bare,
            "path row(s) without a tree marker ignored",
            ": not part of a map listing",
        )
        return self.b.finish()

    def _count(self, lines: list[int], what: str, why: str) -> None:
        """One note for lines passed over, not one each."""
        if lines:
            first = lines[0]
            self.b.note(first, f"{len(lines)} {what} (first at line {first}){why}")


def parse(lines: list[str]) -> DeviceMap:
    reader = _Reader(lines)
    for no, line in enumerate(lines, 1):
        reader.line(no, line)
    return reader.finish()
