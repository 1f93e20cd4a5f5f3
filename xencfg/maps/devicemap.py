"""What a device map is: multipath devices, their paths and the LU behind
each, and the questions a transform asks of it ("what replaces
``/dev/sdb2``?", "which LU is ``/dev/sdc``?").  Parsers build a
:class:`DeviceMap` with :class:`~xencfg.maps.base.Builder`.
"""

from __future__ import annotations

import re
from functools import cached_property

from .names import (
    is_hdlm,
    is_powerpath,
    is_scsi_whole_disk,
    kind,
    normalize,
    split_partition,
    valid_partition,
)
from ..records import Record

#: multipath device kind of each source ("plain" depends on its targets)
SOURCE_KIND = {
    "dlmcfgmgr": "hdlm",
    "dlnkmgr": "hdlm",
    "multipath": "dm",
    "powermt": "powerpath",
}


class PathInfo(Record):
    __slots__ = _fields = ("device", "hctl", "status", "line")

    def __init__(
        self,
        device: str | None,  # "/dev/sda", or None when the tool shows "-"
        hctl: tuple[int, int, int, int] | None,
        status: str = "",  # e.g. "active", "Online", "" if unknown
        line: int = 0,
    ) -> None:
        self.device = device
        self.hctl = hctl
        self.status = status
        self.line = line


class MultipathDevice(Record):
    __slots__ = _fields = ("name", "paths", "status", "line", "lu")

    def __init__(
        self,
        name: str,  # "/dev/sddlmaa", "/dev/mapper/mpatha", "/dev/emcpowera"
        paths: list[PathInfo] | None = None,
        status: str = "",  # "configured", "unconfigured", "" if the tool has none
        line: int = 0,
        #: the LU behind it, as the source names it (see :data:`LU_SCHEMES`):
        #: "wwid:3600...", "hitachi:412905:000800", "emc:000290101523:17C6";
        #: None when the source does not say (dlmcfgmgr -v, plain maps)
        lu: str | None = None,
    ) -> None:
        self.name = name
        self.paths = [] if paths is None else paths
        self.status = status
        self.line = line
        self.lu = lu


#: how each source names a LU: multipath -ll the WWID, dlnkmgr view -lu the
#: storage serial number and iLU, powermt the array id and logical device id
LU_SCHEMES = {"multipath": "wwid", "dlnkmgr": "hitachi", "powermt": "emc"}


class DeviceMap(Record):
    # (No __slots__: the look-up tables below are cached on the instance.)
    _fields = ("source", "devices", "excluded", "warnings", "notes")

    def __init__(
        self,
        source: str,
        devices: list[MultipathDevice] | None = None,
        excluded: list[MultipathDevice] | None = None,
        warnings: list[tuple[int, str]] | None = None,
        notes: list[tuple[int, str]] | None = None,
    ) -> None:
        self.source = source
        self.devices = [] if devices is None else devices
        self.excluded = [] if excluded is None else excluded
        self.warnings = [] if warnings is None else warnings
        self.notes = [] if notes is None else notes
        #: what parse_map read it from ("FORMAT\0TEXT"): the cache's name for
        #: the map (None: the map is named by its repr)
        self.origin: str | None = None

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
        dev = normalize(device)
        if dev in self._lus:
            return self._lus[dev]
        base = split_partition(dev)[0]
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
        if self.source in SOURCE_KIND:
            return {SOURCE_KIND[self.source]}
        return {kind(d.name) for d in self.devices + self.excluded} - {""}

    @cached_property
    def _answers(self) -> dict[tuple[str, str], object]:
        # Answers by (question, device): a fleet asks about the same few
        # hundred devices thousands of times; the map never changes once read.
        return {}

    def _resolve(self, device: str) -> tuple[str | None, str]:
        got = self._answers.get(("resolve", device))
        if got is None:
            got = self._answers[("resolve", device)] = self._resolve_now(device)
        return got

    def _resolve_now(self, device: str) -> tuple[str | None, str]:
        dev = normalize(device)
        if self.is_multipath(dev):
            return None, f"{dev} is already a multipath device"
        if dev.startswith("/dev/sddlm"):
            return None, f"{dev} is not a valid HDLM device name"
        base, part = split_partition(dev)
        if not is_scsi_whole_disk(base):
            return None, f"{dev} is not a SCSI disk (/dev/sdX)"
        if not valid_partition(part):
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
        if kind(target) == "dm":
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
        got = self._answers.get(("multipath", device))
        if got is None:
            got = self._answers[("multipath", device)] = self._is_multipath(device)
        return got

    def _is_multipath(self, device: str) -> bool:
        dev = normalize(device)
        kinds = self.kinds()
        if "hdlm" in kinds and is_hdlm(dev):
            return True
        if "powerpath" in kinds and is_powerpath(dev):
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
