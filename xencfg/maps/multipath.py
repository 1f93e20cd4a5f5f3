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

from . import (
    DeviceMap,
    MapError,
    _Builder,
    is_blank,
    is_ellipsis,
    is_log_line,
    is_prompt,
)
from . import names

_ACTION = r"(?:(?:create|reload|switchpg|rename|grow|reject|update|resize)\s*:\s*)?"
# "alias (wwid) dm-N vendor,product", "wwid dm-N vendor,product" (no alias:
# multipath prints the name alone when it is the WWID), RHEL 5 "alias (wwid)
# [size=...]", RHEL 4 "alias (wwid)".  A WWID may hold spaces: IET iSCSI
# targets give "1IET     00010001", some SATA disks "SATA     WDC_...".
HEADER_RE = re.compile(
    rf"^{_ACTION}(?P<name>[^\s()|`\\:=*#\[\]]+)\s+"
    r"(?:\((?P<wwid>[^()]*)\)\s*(?P<rest1>.*)|(?P<dm>dm-\d+|undef)\b(?P<rest2>.*))$"
)
# What a header we cannot read still looks like (so the error names it).
_HEADERISH_RE = re.compile(r"^\S+\s+\(|\s(?:dm-\d+|undef)\s")
_HCTL = r"(?:\d+|#):(?:\d+|#):(?:\d+|#):(?:\d+|#)"
PATH_RE = re.compile(
    rf"^(?P<prefix>[\s|`\\_+-]*?)(?P<hctl>{_HCTL})\s+(?P<dev>\S+)\s+"
    r"(?P<devt>\d+:\d+|#:#)(?P<status>.*)$"
)
_MARKER_RE = re.compile(r"\\_|[|`]-|-\s*$")
_PATHS_LIST_RE = re.compile(r"^\s*=+\s*paths list\s*=+\s*$")
_PATHS_LIST_HEADER_RE = re.compile(r"^\s*uuid\s+hcil\s+dev\b")
_GROUP_RE = re.compile(
    r"^[\s|`\\_+-]*(?:policy=|round-robin|queue-length|service-time)"
)
_ATTR_RE = re.compile(r"^\s*(?:size=|\[size=)")


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
        return "wwid:" + hm.group("name")  # the name is the WWID
    wwid = wwid.strip()
    return "wwid:" + wwid if wwid else None


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


def parse(lines: list[str]) -> DeviceMap:
    b = _Builder("multipath")
    current = None
    interrupted = 0  # line of an unrecognized line since the last header
    in_paths_list = False
    ignored: list[int] = []
    bare: list[int] = []
    for no, line in enumerate(lines, 1):
        if is_blank(line) or is_ellipsis(line):
            continue
        if _PATHS_LIST_RE.match(line):
            in_paths_list = True
            continue
        pm = PATH_RE.match(line)
        if in_paths_list:
            if _PATHS_LIST_HEADER_RE.match(line) or (
                pm and not _MARKER_RE.search(pm.group("prefix"))
            ):
                continue
            in_paths_list = False
        if pm:
            if not _MARKER_RE.search(pm.group("prefix")):
                bare.append(no)
                interrupted = no
                continue
            if interrupted and _HEADERISH_RE.search(lines[interrupted - 1]):
                raise MapError(
                    "cannot read this multipath device header (expected "
                    "'ALIAS (WWID) dm-N VENDOR,PRODUCT', 'WWID dm-N "
                    "VENDOR,PRODUCT' or 'ALIAS (WWID) [size=...]'): "
                    f"{lines[interrupted - 1].strip()}",
                    interrupted,
                )
            if current is None:
                raise MapError(
                    "path row before any multipath device: cannot tell which "
                    "device it belongs to",
                    no,
                )
            if interrupted:
                raise MapError(
                    f"path row follows an unrecognized line ({interrupted}) "
                    f"instead of the listing of {current.name}: cannot tell "
                    "which device it belongs to",
                    no,
                )
            hctl_s, dev_s = pm.group("hctl"), pm.group("dev")
            hctl = (
                None
                if "#" in hctl_s
                else tuple(int(x) for x in hctl_s.split(":"))  # type: ignore[misc]
            )
            status = _status(pm.group("status"))
            if dev_s in ("-", "#"):
                device = None
            else:
                device = names.normalize(dev_s)
                if not names.is_scsi_whole_disk(device):
                    b.note(
                        no,
                        f"path {dev_s} of {current.name} is not a SCSI disk "
                        "(/dev/sdX); not mapped",
                    )
                    continue
            b.path(current, device, hctl, status, no)
            continue
        hm = _is_header(line)
        if hm:
            name = "/dev/mapper/" + hm.group("name")
            current = b.device(name, "", no, lu=_lu(hm))
            interrupted = 0
            continue
        if _GROUP_RE.match(line) or _ATTR_RE.match(line):
            continue
        if is_prompt(line):
            interrupted = no
            continue
        if is_log_line(line):
            b.note(no, f"log line ignored: {line.strip()}")
            continue
        ignored.append(no)
        # a path row after this could belong to a map whose header we failed
        # to recognise: never attach it to the map above
        interrupted = no
    if ignored:
        b.note(
            ignored[0],
            f"{len(ignored)} line(s) of verbose output ignored "
            f"(first at line {ignored[0]})",
        )
    if bare:
        b.note(
            bare[0],
            f"{len(bare)} path row(s) without a tree marker ignored "
            f"(first at line {bare[0]}): not part of a map listing",
        )
    return b.finish()
