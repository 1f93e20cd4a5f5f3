"""The one-way path for one file: read, detect, parse, find disks, transform.

Every caller runs this path through here: the batch (check, diff, apply),
the plan (its configs) and the plan's reading of an ``xm list -l`` dump.
``process`` never raises and returns a small picklable FileResult, for a
worker of a pool; ``read_or_usage`` and ``convert_or_fail`` raise the
command errors of :mod:`xencfg.errors`, for callers that stop at the first
bad input.

No pre-filter skips parsing on a first run: a file without any ``disk`` or
``uname`` text has no disks, but it may still be malformed, and a malformed
file must be reported; only a parse can tell.  So every file is parsed, and
only the transform is skipped when the (ASCII) text cannot hold a disk (see
``may_have_disks``).  Re-runs are made fast by the cache instead: a file
whose exact bytes were seen unchanged is not parsed again, and its findings
are replayed (:mod:`xencfg.cache`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from stat import S_ISREG

from .cache import digest, findings_from
from .document import Document, ParseError
from .errors import Failed, Usage, err
from .formats.detect import parse_bytes
from .maps import DeviceMap
from .records import Record
from .transforms.findings import Finding
from .transforms.running import is_xl_dump


class Options(Record):
    """What decides a file's result, besides its bytes."""

    __slots__ = _fields = ("devmap", "fmt", "resolve_links", "cache")

    def __init__(
        self,
        devmap: DeviceMap | None = None,
        fmt: str = "auto",
        resolve_links: bool = False,
        cache: Mapping[str, str] | None = None,  # see cache.py
    ) -> None:
        self.devmap = devmap
        self.fmt = fmt
        self.resolve_links = resolve_links
        self.cache = {} if cache is None else cache


class Converted:
    __slots__ = ("doc", "findings", "new")

    def __init__(self, doc: Document, findings: list[Finding], new: bytes | None):
        self.doc = doc
        self.findings = findings
        self.new = new  # the edited bytes; None when there is no edit


class FileResult(Record):
    __slots__ = ("path", "real", "old", "new", "findings", "error", "crash")
    __slots__ += ("changed", "digest", "cached", "patch", "written", "stat", "dump")
    _fields = __slots__

    def __init__(self, path: str, real: str, **kw) -> None:
        self.path = path
        self.real = real
        self.old: bytes | None = None  # dropped once delivered by a worker
        self.new: bytes | None = None  # None when nothing changes
        self.findings: list[Finding] = []
        self.error: str | None = None  # "PATH:LINE:COL: error: ..." (bad input)
        self.crash: str | None = None  # an internal error, with its traceback
        self.changed = False
        self.digest: str | None = None  # sha256 of the bytes read
        self.cached = False  # skipped: these bytes were seen unchanged before
        self.patch = ""  # diff: the file's part of the patch
        self.written = False  # apply: the file (or its out-dir copy) was written
        self.stat: os.stat_result | None = None  # of the file read (--out-dir)
        self.dump = False  # an xl list -l dump: running state, never rewritten
        for name, value in kw.items():
            setattr(self, name, value)

    def __reduce__(self):
        # (results travel back from workers pickled: as one tuple, faster
        # than pickle's generic slot-by-slot state)
        return _file_result, self._values()

    @property
    def cacheable(self) -> bool:
        """Read, unchanged, no error: may go into the cache (with its findings)."""
        return (
            self.digest is not None
            and not self.cached
            and not self.changed
            and self.error is None
            and self.crash is None
        )


def _file_result(
    path,
    real,
    old,
    new,
    findings,
    error,
    crash,
    changed,
    digest,
    cached,
    patch,
    written,
    stat,
    dump,
) -> FileResult:
    # (FileResult._fields in order; assigned one by one, without a loop:
    # the parent reads half a batch's results through here)
    res = FileResult.__new__(FileResult)
    res.path, res.real, res.old, res.new = path, real, old, new
    res.findings, res.error, res.crash, res.changed = findings, error, crash, changed
    res.digest, res.cached, res.patch = digest, cached, patch
    res.written, res.stat, res.dump = written, stat, dump
    return res


def resolve_link(path: str) -> str | None:
    """``/dev/disk/by-*`` names on this host: the real path, or None when
    ``path`` does not exist (--resolve-links)."""
    real = os.path.realpath(path)
    return real if os.path.exists(path) else None


# The transform last made, with what it was made for: a transform keeps no
# state between files, so a batch makes one, not one per file.
_MADE: list = [None, None, None]


def transform_for(devmap: DeviceMap | None, resolve_links: bool = False):
    """The migration to ``devmap``'s devices, or without a map the policy."""
    if _MADE[0] is devmap and _MADE[1] == resolve_links and _MADE[2] is not None:
        return _MADE[2]
    _MADE[:] = devmap, resolve_links, _make_transform(devmap, resolve_links)
    return _MADE[2]


def _make_transform(devmap: DeviceMap | None, resolve_links: bool):
    resolve = resolve_link if resolve_links else None
    if devmap is None:
        from .transforms.policy import Policy

        return Policy(resolve)
    from .transforms.migrate import Migrate

    return Migrate(devmap, resolve)


def may_have_disks(text: str) -> bool:
    """False only when no disk can be in ``text``: disks are found under a
    ``disk`` setting (xl, xm) or a ``uname`` (S-expressions), so ASCII text
    without either word has none.  Non-ASCII text always counts as maybe:
    Python reads full-width letters in names as ASCII ones."""
    return not text.isascii() or "disk" in text or "uname" in text or "physpath" in text


def convert(data: bytes, path: str, fmt: str, transform) -> Converted:
    """Parse ``data`` and run ``transform`` on it; raises ParseError."""
    doc = parse_bytes(data, path, fmt)
    if not may_have_disks(doc.text):
        return Converted(doc, [], None)
    edits, findings = transform.run(doc)
    return Converted(doc, findings, doc.apply(edits) if edits else None)


def convert_or_fail(data: bytes, path: str, fmt: str, transform) -> Converted:
    try:
        return convert(data, path, fmt, transform)
    except ParseError as e:
        raise Failed(e.format(path)) from None


def read_file(path: str) -> tuple[bytes, os.stat_result]:
    """The bytes of ``path`` and its stat, in as few system calls as it takes."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    try:
        st = os.fstat(fd)
        size = max(st.st_size, 0) + 1  # one more, to see the end of the file
        chunk = os.read(fd, size)
        if len(chunk) < size and S_ISREG(st.st_mode):
            return chunk, st  # a regular file read short: that was all of it
        chunks = [chunk]
        while chunk:
            chunk = os.read(fd, 1 << 16)
            chunks.append(chunk)
        return b"".join(chunks), st
    finally:
        os.close(fd)


def read_or_usage(path: str) -> bytes:
    """The bytes of a file named by the user; Usage if it cannot be read."""
    try:
        with open(path, "rb") as fh:
            return fh.read()
    except OSError as e:
        raise Usage(f"{path}: {e.strerror or e}") from None


def load_map_or_fail(path: str, fmt: str):
    """The device map at ``path``, its warnings on stderr; Failed if bad."""
    from .maps import MapError, load_map

    try:
        dm = load_map(path, fmt)
    except MapError as e:
        raise Failed(e.format(path)) from None
    for line, msg in dm.warnings:
        where = f"{path}:{line}" if line else path
        err(f"{where}: warning: {msg}")
    return dm


def process(job, opts: Options, data: bytes | None = None) -> FileResult:
    """Run the whole path for one file (a walk.Job).  Never raises."""
    res = FileResult(job.path, job.real)
    try:
        if data is None:
            try:
                data, res.stat = read_file(job.real)
            except OSError as e:  # only the file's own errors are "bad input"
                res.error = f"{job.path}: error: {e.strerror or e}"
                return res
        res.old = data
        if job.real != "-":
            res.digest = digest(data)
            # (a forked worker has the parent's cache, loaded before it forked)
            found = opts.cache.get(res.digest)
            replayed = None if found is None else findings_from(found, job.path)
            if replayed is not None:
                res.findings, res.cached = replayed, True
                return res
        transform = transform_for(opts.devmap, opts.resolve_links)
        try:
            done = convert(data, job.path, opts.fmt, transform)
        except ParseError as e:
            res.error = e.format(job.path)
            return res
        res.findings = done.findings
        res.dump = is_xl_dump(done.doc)
        if done.new is not None and done.new != data:
            res.new, res.changed = done.new, True
    except Exception:  # an internal error: reported, never raised
        import traceback

        res.crash = traceback.format_exc()
    return res
