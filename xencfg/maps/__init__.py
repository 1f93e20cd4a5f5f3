"""Device maps: which SCSI disk (``/dev/sdX``) becomes which multipath device.

A map is read from the output of a multipath tool (``dlmcfgmgr -v``,
``dlnkmgr view -lu``, ``multipath -ll``, ``powermt display dev=all``) or from
a plain two-column file, and answers "what replaces ``/dev/sdb2``?".

Getting a map wrong moves a guest onto another LU, so the parsers are strict
about anything that decides a pair (names, field counts, numbers, a SCSI disk
listed twice) and tolerant only of capture noise (prompts, blank lines,
``:`` elision rows, tool messages, collapsed column spacing).
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from functools import cached_property

from . import names as _names

FORMATS = ("auto", "dlmcfgmgr", "dlnkmgr", "multipath", "powermt", "plain")

#: multipath device kind of each source ("plain" depends on its targets)
_SOURCE_KIND = {
    "dlmcfgmgr": "hdlm",
    "dlnkmgr": "hdlm",
    "multipath": "dm",
    "powermt": "powerpath",
}


class MapError(Exception):
    """A device map that cannot be trusted.  ``line`` is 1-based, 0 if unknown."""

    def __init__(self, message: str, line: int = 0):
        super().__init__(message)
        self.message = message
        self.line = line
        self.path: str | None = None  # set by parse_map/load_map

    def format(self, path: str) -> str:
        """``PATH:LINE: error: MESSAGE`` (``PATH: error: MESSAGE`` when line is 0)."""
        if self.line:
            return f"{path}:{self.line}: error: {self.message}"
        return f"{path}: error: {self.message}"

    def __str__(self) -> str:
        if self.line:
            return f"line {self.line}: {self.message}"
        return self.message


@dataclass
class PathInfo:
    device: str | None  # "/dev/sda", or None when the tool shows "-"
    hctl: tuple[int, int, int, int] | None
    status: str = ""  # e.g. "active", "Online", "" if unknown
    line: int = 0


@dataclass
class MultipathDevice:
    name: str  # "/dev/sddlmaa", "/dev/mapper/mpatha", "/dev/emcpowera"
    paths: list[PathInfo] = field(default_factory=list)
    status: str = ""  # "configured", "unconfigured", "" if the tool has none
    line: int = 0
    #: the LU behind it, as the source names it (see :data:`LU_SCHEMES`):
    #: "wwid:3600...", "hitachi:412905:000800", "emc:000290101523:17C6";
    #: None when the source does not say (dlmcfgmgr -v, plain maps)
    lu: str | None = None


#: how each source names a LU: multipath -ll the WWID, dlnkmgr view -lu the
#: storage serial number and iLU, powermt the array id and logical device id
LU_SCHEMES = {"multipath": "wwid", "dlnkmgr": "hitachi", "powermt": "emc"}


@dataclass
class DeviceMap:
    source: str
    devices: list[MultipathDevice] = field(default_factory=list)
    excluded: list[MultipathDevice] = field(default_factory=list)
    warnings: list[tuple[int, str]] = field(default_factory=list)
    notes: list[tuple[int, str]] = field(default_factory=list)

    # -- LU identity ---------------------------------------------------------

    @property
    def has_lu_ids(self) -> bool:
        """True when every device of the map names its LU.  False for
        ``dlmcfgmgr -v`` and plain maps: then only device names can be
        compared across hosts (a weaker check)."""
        devs = self.devices + self.excluded
        return bool(devs) and all(d.lu for d in devs)

    @cached_property
    def _lus(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for dev in self.devices + self.excluded:
            if dev.lu is None:
                continue
            out[dev.name] = dev.lu
            for p in dev.paths:
                if p.device is not None:
                    out[p.device] = dev.lu
        return out

    def lu_of(self, device: str) -> str | None:
        """The LU behind a SCSI device (``/dev/sdc``, ``/dev/sdc2``) or a
        multipath device of this map (``/dev/sddlmaa``, ``/dev/mapper/mpatha``,
        ``/dev/emcpowerh``); None when the map does not say."""
        dev = _names.normalize(device)
        if dev in self._lus:
            return self._lus[dev]
        base = _names.split_partition(dev)[0]
        return self._lus.get(base)

    def multipath_of_lu(self, lu: str) -> str | None:
        """The multipath device of this map that serves *lu*, or None."""
        for dev in self.devices + self.excluded:
            if dev.lu == lu:
                return dev.name
        return None

    # -- queries -----------------------------------------------------------

    def as_dict(self) -> dict[str, str]:
        """Every usable path: ``{"/dev/sda": "/dev/sddlmaa", ...}``."""
        out: dict[str, str] = {}
        for dev in self.devices:
            for p in dev.paths:
                if p.device is not None:
                    out[p.device] = dev.name
        return out

    @cached_property
    def _pairs(self) -> dict[str, str]:
        # Built once, on the first lookup: parsers finish a map before use.
        return self.as_dict()

    def _excluded_dict(self) -> dict[str, MultipathDevice]:
        out: dict[str, MultipathDevice] = {}
        for dev in self.excluded:
            for p in dev.paths:
                if p.device is not None:
                    out[p.device] = dev
        return out

    def kinds(self) -> set[str]:
        """Multipath device kinds of this map: ``hdlm``, ``dm``, ``powerpath``."""
        if self.source in _SOURCE_KIND:
            return {_SOURCE_KIND[self.source]}
        return {_names.kind(d.name) for d in self.devices + self.excluded} - {""}

    def _resolve(self, device: str) -> tuple[str | None, str]:
        dev = _names.normalize(device)
        if self.is_multipath(dev):
            return None, f"{dev} is already a multipath device"
        if dev.startswith("/dev/sddlm"):
            return None, f"{dev} is not a valid HDLM device name"
        base, part = _names.split_partition(dev)
        if not _names.is_scsi_whole_disk(base):
            return None, f"{dev} is not a SCSI disk (/dev/sdX)"
        if not _names.valid_partition(part):
            return None, f"{dev}: partition {part} is out of range (1-15)"
        target = self._pairs.get(base)
        if target is None:
            excl = self._excluded_dict().get(base)
            if excl is not None:
                status = excl.status or "not usable"
                return (
                    None,
                    f"{base} is listed as excluded ({status}) under {excl.name}",
                )
            return None, f"{base} is not in the map"
        if not part:
            return target, ""
        if _names.kind(target) == "dm":
            return None, (
                f"{dev} is a partition of a dm-multipath device ({target}); "
                "partition names under /dev/mapper depend on the distribution "
                "(kpartx), so it is not guessed"
            )
        return target + part, ""

    def lookup(self, device: str) -> str | None:
        """``/dev/sdb2`` -> ``/dev/sddlmab2``; ``/dev/sdb`` -> ``/dev/sddlmab``;
        ``None`` when the map cannot say (see :meth:`why_not`)."""
        return self._resolve(device)[0]

    def why_not(self, device: str) -> str:
        """Why :meth:`lookup` returns ``None`` for *device* ("" if it does not)."""
        return self._resolve(device)[1]

    def is_multipath(self, device: str) -> bool:
        """True for any multipath device name of this map's kind, with or
        without a partition: ``/dev/sddlmaa1``, ``/dev/mapper/mpatha``,
        ``/dev/emcpowerb``."""
        dev = _names.normalize(device)
        kinds = self.kinds()
        if "hdlm" in kinds and _names.is_hdlm(dev):
            return True
        if "powerpath" in kinds and _names.is_powerpath(dev):
            return True
        if "dm" in kinds:
            m = re.match(r"^/dev/(?:mapper|mpath)/(?P<name>[^/\s]+)$", dev)
            if m:
                name = m.group("name")
                known = {
                    d.name[len("/dev/mapper/") :]
                    for d in self.devices + self.excluded
                    if d.name.startswith("/dev/mapper/")
                }
                if name in known:
                    return True
                part = re.match(r"^(?P<base>.+?)(?:p|-part|_part)?(?:[1-9]\d*)$", name)
                for cand in [name] + ([part.group("base")] if part else []):
                    if cand in known or re.fullmatch(r"mpath(?:[a-z]+|\d+)", cand):
                        return True
                # partition suffixes on a known name: NAME1, NAMEp1, NAME-part1
                for k in known:
                    if re.fullmatch(re.escape(k) + r"(?:p|-part|_part)?[1-9]\d*", name):
                        return True
        return False


# -- shared parsing helpers ------------------------------------------------

_ELLIPSIS_RE = re.compile(r"^[\s:]*:[\s:]*$|^\s*(?:\.\.\.|\u2026)\s*$")
_PROMPT_RE = re.compile(
    r"^\s*(?:\[[^\]\n]*\]\s*|[\w.-]+@[\w.-]+(?::\S*)?\s*|[\w.-]+:\S*\s*)?[#$%]\s*(?P<cmd>.*)$"
)
_KAPL_RE = re.compile(r"^\s*(?P<id>KAPL\d{5}-(?P<sev>[IWE]))\b\s*(?P<text>.*)$")
_LOG_RE = re.compile(r"^\s*[A-Z][a-z]{2}\s+\d{1,2}\s+\d\d:\d\d:\d\d\s*\|")


def is_blank(line: str) -> bool:
    return not line.strip()


def is_ellipsis(line: str) -> bool:
    """A ``:`` elision row (only whitespace and ``:``) as printed in manuals."""
    return _ELLIPSIS_RE.match(line) is not None


def is_prompt(line: str) -> bool:
    """A shell prompt line: ``#``, ``# /sbin/dlmcfgmgr -v``, ``[root@h ~]# ...``."""
    return _PROMPT_RE.match(line) is not None


def kapl(line: str) -> tuple[str, str] | None:
    """``(severity, message)`` for an HDLM ``KAPLnnnnn-X`` message line."""
    m = _KAPL_RE.match(line)
    if not m:
        return None
    return m.group("sev"), line.strip()


def is_log_line(line: str) -> bool:
    """multipath log noise such as ``Oct 13 10:24:01 | message``."""
    return _LOG_RE.match(line) is not None


class _Builder:
    """Collects devices and paths and enforces the rules that keep a map safe:
    a SCSI disk belongs to one multipath device, an H:C:T:L names one SCSI
    disk, and a multipath device is listed once."""

    def __init__(self, source: str):
        self.map = DeviceMap(source=source)
        self._devs: dict[str, MultipathDevice] = {}
        self._owner: dict[str, tuple[MultipathDevice, int]] = {}
        self._hctl: dict[tuple[int, int, int, int], tuple[str, int]] = {}
        self._lu_owner: dict[str, MultipathDevice] = {}

    def warn(self, line: int, message: str) -> None:
        self.map.warnings.append((line, message))

    def note(self, line: int, message: str) -> None:
        self.map.notes.append((line, message))

    def device(
        self,
        name: str,
        status: str,
        line: int,
        usable: bool = True,
        lu: str | None = None,
    ) -> MultipathDevice:
        if name in self._devs:
            raise MapError(
                f"{name} is listed twice (first at line {self._devs[name].line})",
                line,
            )
        dev = MultipathDevice(name=name, paths=[], status=status, line=line)
        if lu is not None:
            self.set_lu(dev, lu, line)
        self._devs[name] = dev
        (self.map.devices if usable else self.map.excluded).append(dev)
        return dev

    def set_lu(self, dev: MultipathDevice, lu: str, line: int) -> None:
        """Name the LU behind *dev*; one LU under two devices is an error
        (the map would send one guest's disk to two devices)."""
        other = self._lu_owner.get(lu)
        if other is not None and other is not dev:
            raise MapError(
                f"LU {lu} is listed under two multipath devices: "
                f"{other.name} (line {other.line}) and {dev.name}",
                line,
            )
        self._lu_owner[lu] = dev
        dev.lu = lu

    def path(
        self,
        dev: MultipathDevice,
        device: str | None,
        hctl: tuple[int, int, int, int] | None,
        status: str,
        line: int,
    ) -> None:
        where = f" {':'.join(map(str, hctl))}" if hctl else ""
        if device is None:
            self.note(
                line,
                f"path{where} of {dev.name} has no SCSI device ('-'); skipped",
            )
        else:
            if device in self._owner:
                other, other_line = self._owner[device]
                if other is dev:
                    self.warn(
                        line,
                        f"{device} is listed twice under {dev.name} "
                        f"(first at line {other_line})",
                    )
                    return
                raise MapError(
                    f"{device} is listed under two multipath devices: "
                    f"{other.name} (line {other_line}) and {dev.name}",
                    line,
                )
            self._owner[device] = (dev, line)
        if hctl is not None:
            prev = self._hctl.get(hctl)
            if prev is not None and prev[0] != (device or "-"):
                raise MapError(
                    f"H:C:T:L {':'.join(map(str, hctl))} is listed for both "
                    f"{prev[0]} (line {prev[1]}) and {device or '-'}",
                    line,
                )
            self._hctl.setdefault(hctl, (device or "-", line))
        dev.paths.append(PathInfo(device=device, hctl=hctl, status=status, line=line))

    def finish(self) -> DeviceMap:
        if not self.map.devices and not self.map.excluded:
            raise empty_map()
        return self.map


def empty_map() -> MapError:
    """One rule for every source and option: a map without devices cannot be
    told apart from a failed capture, so it is refused."""
    return MapError("the device map is empty: no multipath devices found", 1)


def _aix_error(line: int) -> MapError:
    return MapError(
        "AIX hdisk devices are not Linux SCSI devices; "
        "capture the map on the Linux (Xen) host",
        line,
    )


# -- detection and entry points --------------------------------------------


def _modules():
    from . import dlmcfgmgr, dlnkmgr, multipath, plain, powermt

    return {
        "dlmcfgmgr": dlmcfgmgr,
        "dlnkmgr": dlnkmgr,
        "powermt": powermt,
        "multipath": multipath,
        "plain": plain,
    }


def _content_lines(lines: list[str]):
    for no, line in enumerate(lines, 1):
        if is_blank(line) or is_ellipsis(line) or is_prompt(line):
            continue
        yield no, line


def detect(text: str) -> str:
    """Name of the format of *text* (one of :data:`FORMATS` but ``auto``).

    Raises :class:`MapError` when the text is no device map we know.
    """
    lines = text.splitlines()
    content = list(_content_lines(lines))
    if not content:
        raise empty_map()
    for no, line in content:
        if re.search(r"\bhdisk(?:power)?\d+\b", line):
            raise _aix_error(no)
    for name, mod in _modules().items():
        if mod.looks_like(text):
            return name
    for no, line in content:
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
        content[0][0],
    )


def parse_map(text: str, fmt: str = "auto", path: str = "-") -> DeviceMap:
    """Parse a device map.  *fmt* is one of :data:`FORMATS`; *path* is only
    used to name the input in messages.  Raises :class:`MapError`."""
    if fmt not in FORMATS:
        raise MapError(f"unknown map format {fmt!r} (one of {', '.join(FORMATS)})")
    if text.startswith("\ufeff"):
        text = text[1:]
    try:
        if fmt == "auto":
            fmt = detect(text)
        elif not any(_content_lines(text.splitlines())):
            raise empty_map()
        return _modules()[fmt].parse(text.splitlines())
    except MapError as err:
        if err.path is None:
            err.path = path
        raise


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
    "LU_SCHEMES",
    "DeviceMap",
    "MapError",
    "MultipathDevice",
    "PathInfo",
    "detect",
    "load_map",
    "parse_map",
]
