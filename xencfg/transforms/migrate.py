"""The migration: rewrite exactly the host-side disk targets a map translates.

A small class with one entry point, ``run(doc) -> (edits, findings)``.  It
never reads files and never guesses: a target it cannot translate for sure
is left as it is, with a finding at its place.
"""

from __future__ import annotations

import os
import re

from ..diskspec import DiskSpecError, block_device, parse_disk, parse_uname
from ..document import Document, Edit, Opaque, Str
from ..maps import DeviceMap
from ..maps import names
from .disks import DiskSite, find_disks
from .findings import Finding

# Anything that looks like a SCSI disk node: the map decides whether it is one.
_SD_LIKE = re.compile(r"^/dev/sd(?!dlm)[a-z]+\d*$")
_SYMBOLIC = re.compile(r"^/dev/disk/by-[a-z-]+/")


class Migrate:
    """Rewrite ``/dev/sdX[N]`` disk targets to the multipath device of ``devmap``.

    Without a map (``devmap=None``) it only enforces the policy: any disk that
    uses a ``/dev/sd*`` device directly is a finding.
    """

    def __init__(self, devmap: DeviceMap | None, resolve_links: bool = False):
        self.devmap = devmap
        self.resolve_links = resolve_links

    def run(self, doc: Document) -> tuple[list[Edit], list[Finding]]:
        edits: list[Edit] = []
        findings: list[Finding] = []
        for site in find_disks(doc):
            self._site(doc, site, edits, findings)
        for f in findings:
            f.path = doc.path
        return edits, findings

    # -- one disk ---------------------------------------------------------
    def _site(self, doc, site: DiskSite, edits, findings):
        node = site.node
        line, col = doc.line_col(node.start)

        def find(kind, severity, message, old=None, new=None):
            findings.append(
                Finding(line, col, kind, severity, message, old, new, site.domain)
            )

        if site.note:
            find("unsupported", "warning", site.note)
            return
        if isinstance(node, Opaque):
            find(
                "computed",
                "warning",
                f"disk computed at start-up ({node.reason}); left unchanged: "
                f"check {doc.raw(node)[:60]!r} by hand",
            )
            return
        assert isinstance(node, Str)
        try:
            spec = (
                parse_uname(node.value)
                if site.form == "uname"
                else parse_disk(node.value)
            )
        except DiskSpecError as err:
            if _SD_LIKE.search(node.value) or "/dev/sd" in node.value:
                find("unsupported", "warning", f"cannot read disk spec: {err}")
            return
        if spec.path is None or spec.target is None:
            return
        dev = block_device(spec)
        if dev is None:
            path = spec.path.text
            if self.devmap is None and _SD_LIKE.match(path):
                # tap:aio:/dev/sda reaches the SCSI device just as phy: does.
                find(
                    "policy",
                    "error",
                    f"{spec.target.text} uses the SCSI device {path} directly; "
                    "a domU must use its multipath device",
                )
            elif "/dev/sd" in path and not names.is_hdlm(path):
                find(
                    "unsupported",
                    "warning",
                    f"{spec.target.text} is not a phy: block device target; "
                    "left unchanged",
                )
            else:
                self._nothing_to_do(site, spec.target.text, find)
            return
        target_text = spec.target.text
        if _SYMBOLIC.match(dev):
            self._symbolic(spec, dev, node, doc, edits, find)
            return
        if dev.startswith("/dev/sddlm") or (
            self.devmap is not None and self.devmap.is_multipath(dev)
        ):
            if site.form in ("uname", "path") and self.devmap is not None:
                find("ok", "info", f"{target_text} already uses a multipath device")
            return
        if not _SD_LIKE.match(dev):
            if dev.startswith("/dev/sd") and not names.is_hdlm(dev):
                # e.g. 'target=/dev/sdb,vdev=xvda': target= eats the rest.
                find(
                    "unsupported",
                    "warning",
                    f"{target_text} is not a device name xencfg can read; "
                    "left unchanged",
                )
            else:
                self._nothing_to_do(site, target_text, find)
            return
        if self.devmap is None:
            find(
                "policy",
                "error",
                f"{target_text} uses the SCSI device {dev} directly; "
                "a domU must use its multipath device",
            )
            return
        new_dev = self.devmap.lookup(dev)
        if new_dev is None:
            find(
                "unmapped",
                "warning",
                f"{target_text}: {self.devmap.why_not(dev)}; cannot be migrated, "
                "left unchanged",
            )
            return
        self._rewrite(doc, node, spec, new_dev, edits, find)

    def _nothing_to_do(self, site: DiskSite, target_text: str, find) -> None:
        # Step 2 of the procedure on an `xm list -l` dump: every vbd gets a word.
        if site.form in ("uname", "path") and self.devmap is not None and target_text:
            find("ok", "info", f"{target_text} is not a SCSI disk; nothing to migrate")

    def _rewrite(self, doc, node, spec, new_dev, edits, find, via=""):
        old_path = spec.path.text
        # Keep the spelling: `phy:sdc` becomes `phy:sddlmac`.
        new_path = new_dev if old_path.startswith("/") else new_dev[len("/dev/") :]
        try:
            new_value = spec.replace_path(new_path)
        except DiskSpecError as err:
            find("unsupported", "warning", f"cannot rewrite {spec.target.text}: {err}")
            return
        new_target = spec.prefix + new_path
        edits.append(
            _splice(doc, node, spec, new_path) or doc.replace_string(node, new_value)
        )
        find(
            "migrate",
            "change",
            f"{spec.target.text} -> {new_target}{via}",
            spec.target.text,
            new_target,
        )

    def _symbolic(self, spec, dev, node, doc, edits, find):
        if not self.resolve_links:
            find(
                "symbolic",
                "warning",
                f"{spec.target.text} is a symbolic name; cannot tell offline which "
                "device it is (run on the host with --resolve-links); left unchanged",
            )
            return
        real = os.path.realpath(dev)
        if not os.path.exists(dev):
            find("symbolic", "warning", f"{dev} does not exist on this host")
            return
        if self.devmap is None:
            if _SD_LIKE.match(real):
                find(
                    "policy",
                    "error",
                    f"{spec.target.text} resolves to the SCSI device {real}; "
                    "a domU must use its multipath device",
                )
            return
        if not _SD_LIKE.match(real):
            return
        new_dev = self.devmap.lookup(real)
        if new_dev is None:
            find(
                "unmapped",
                "warning",
                f"{spec.target.text} resolves to {real}: "
                f"{self.devmap.why_not(real)}; left unchanged",
            )
            return
        self._rewrite(doc, node, spec, new_dev, edits, find, via=f" (via {real})")


def _splice(doc: Document, node: Str, spec, new_path: str) -> Edit | None:
    """An edit of the path span alone, inside the string token as written.

    Only when the token reads as its value up to the path's end (no escape
    or line continuation before it): then every other byte of the string,
    other fields and later escapes included, stays exactly as it was.
    Otherwise None, and the caller re-quotes the whole value.
    """
    raw = doc.text[node.start : node.end]
    opening = node.quote
    closing = opening.lstrip("rRuUbBfF")
    if len(raw) < len(opening) + len(closing):
        return None
    if not (raw.startswith(opening) and raw.endswith(closing)):
        return None
    content = raw[len(opening) : len(raw) - len(closing)]
    end = spec.path.end
    # Up to the path's end the token must read as its value: no escape (or
    # line continuation) before it, so offsets in the value are offsets here.
    if "\\" in content[:end] or content[:end] != node.value[:end]:
        return None
    base = node.start + len(opening)
    return Edit(base + spec.path.start, base + spec.path.end, new_path)
