"""What the map parsers share: :class:`MapError`, the :class:`Builder` that
enforces the rules keeping a map safe, :class:`RowReader` for a parser that
reads line by line, the predicates for capture noise (prompts, blank lines,
``:`` elision rows, tool messages), the checks of device names read from a
column and :func:`lu_id`.  A parser imports these and :class:`DeviceMap`,
all from here, never from the package (which imports the parsers).
"""

from __future__ import annotations

from ..lazy import Pattern
from .devicemap import LU_SCHEMES, DeviceMap, MultipathDevice, PathInfo
from .names import HDLM_RE, is_aix, is_scsi_whole_disk, normalize


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


# -- shared parsing helpers ------------------------------------------------

# Each predicate first tests for a character its pattern cannot match
# without (most lines of a map have none): a map of many rows is read
# without running, or even compiling, these patterns.
_ELLIPSIS_RE = Pattern(r"^[\s:]*:[\s:]*$|^\s*(?:\.\.\.|\u2026)\s*$")
_PROMPT_RE = Pattern(
    r"^\s*(?:\[[^\]\n]*\]\s*|[\w.-]+@[\w.-]+(?::\S*)?\s*|[\w.-]+:\S*\s*)?[#$%]\s*(?P<cmd>.*)$"
)
_KAPL_RE = Pattern(r"^\s*(?P<id>KAPL\d{5}-(?P<sev>[IWE]))\b\s*(?P<text>.*)$")
_LOG_RE = Pattern(r"^\s*[A-Z][a-z]{2}\s+\d{1,2}\s+\d\d:\d\d:\d\d\s*\|")


def is_blank(line: str) -> bool:
    return not line.strip()


def is_ellipsis(line: str) -> bool:
    """A ``:`` elision row (only whitespace and ``:``) as printed in manuals."""
    if ":" not in line and "..." not in line and "\u2026" not in line:
        return False
    return _ELLIPSIS_RE.match(line) is not None


def is_prompt(line: str) -> bool:
    """A shell prompt line: ``#``, ``# /sbin/dlmcfgmgr -v``, ``[root@h ~]# ...``."""
    if "#" not in line and "$" not in line and "%" not in line:
        return False
    return _PROMPT_RE.match(line) is not None


def kapl(line: str) -> tuple[str, str] | None:
    """``(severity, message)`` for an HDLM ``KAPLnnnnn-X`` message line."""
    if "KAPL" not in line:
        return None
    m = _KAPL_RE.match(line)
    if not m:
        return None
    return m.group("sev"), line.strip()


def is_log_line(line: str) -> bool:
    """multipath log noise such as ``Oct 13 10:24:01 | message``."""
    if "|" not in line:
        return False
    return _LOG_RE.match(line) is not None


class Builder:
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

    def tool_message(self, line: int, text: str) -> bool:
        """Record an HDLM ``KAPLnnnnn-X`` line: a note when it is
        informational, a warning otherwise.  False when *text* is none."""
        msg = kapl(text)
        if msg is None:
            return False
        sev, message = msg
        (self.note if sev == "I" else self.warn)(line, message)
        return True

    def warn_elided(self, line: int) -> None:
        self.warn(
            line, "':' rows: the capture elides rows, so the map may be incomplete"
        )

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
        dev = MultipathDevice(name, [], status, line)
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
        if device is None:
            where = f" {':'.join(map(str, hctl))}" if hctl else ""
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
        dev.paths.append(PathInfo(device, hctl, status, line))

    def finish(self) -> DeviceMap:
        if not self.map.devices and not self.map.excluded:
            raise empty_map()
        return self.map


class RowReader:
    """A parser that reads a capture line by line into :attr:`b`, a
    :class:`Builder` for :attr:`source`.  A subclass says which lines are no
    rows (:meth:`skip`: headers, messages, prompts, elisions) and reads the
    rest (:meth:`row`).  A line that is no row ends the listing of the device
    above: a path row after it is not attached to :attr:`current`."""

    source = ""

    def __init__(self) -> None:
        self.b = Builder(self.source)
        self.current: MultipathDevice | None = None  # owner of the next path row

    def read(self, lines: list[str]) -> None:
        for no, line in enumerate(lines, 1):
            if is_blank(line):
                continue
            if self.skip(no, line):
                self.current = None
            else:
                self.row(no, line)

    def skip(self, no: int, line: str) -> bool:
        raise NotImplementedError

    def row(self, no: int, line: str) -> None:
        raise NotImplementedError


def empty_map() -> MapError:
    """One rule for every source and option: a map without devices cannot be
    told apart from a failed capture, so it is refused."""
    return MapError("the device map is empty: no multipath devices found", 1)


def aix_error(line: int) -> MapError:
    return MapError(
        "AIX hdisk devices are not Linux SCSI devices; "
        "capture the map on the Linux (Xen) host",
        line,
    )


def content_lines(lines: list[str]):
    """``(number, line)`` of the lines that are not capture noise."""
    for no, line in enumerate(lines, 1):
        if is_blank(line) or is_ellipsis(line) or is_prompt(line):
            continue
        yield no, line


def scsi_disk(raw: str, label: str, line: int) -> str:
    """The whole SCSI disk a path column names (``sdc`` -> ``/dev/sdc``);
    an AIX disk, an HDLM device or anything else is an error."""
    if is_aix(raw):
        raise aix_error(line)
    device = normalize(raw)
    if device.startswith("/dev/sddlm") or not is_scsi_whole_disk(device):
        raise MapError(f"{label} {raw!r} is not a SCSI disk (/dev/sdX)", line)
    return device


def hdlm_device(raw: str, what: str | None, line: int) -> str:
    """A whole HDLM device (``sddlmaa`` -> ``/dev/sddlmaa``) or an error
    naming *what* was read (None: *raw*, quoted)."""
    name = normalize(raw)
    m = HDLM_RE.match(name)
    # (a partition is what split_partition would split off: the digits)
    if m is None or m.group("part") is not None:
        what = repr(raw) if what is None else what
        raise MapError(f"{what} is not an HDLM device name", line)
    return name


def lu_id(source: str, *parts: str) -> str:
    """The LU name of *source*'s scheme (see :data:`LU_SCHEMES`):
    ``lu_id("dlnkmgr", "412905", "000800")`` -> ``hitachi:412905:000800``."""
    return ":".join((LU_SCHEMES[source],) + parts)


__all__ = [
    "LU_SCHEMES",
    "Builder",
    "DeviceMap",
    "MapError",
    "MultipathDevice",
    "PathInfo",
    "RowReader",
    "aix_error",
    "content_lines",
    "empty_map",
    "hdlm_device",
    "is_blank",
    "is_ellipsis",
    "is_log_line",
    "is_prompt",
    "kapl",
    "lu_id",
    "scsi_disk",
]
