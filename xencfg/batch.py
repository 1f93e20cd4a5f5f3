"""Running the one-way path over many files: walk, parse, transform, write.

A worker runs the whole path for one file -- read, parse, transform, and
deliver (the patch text for ``diff``, the atomic write for ``apply``) -- and
returns a small picklable FileResult; it never raises and never prints.  Only
the parent prints, so output of parallel runs never interleaves.

Speed: a worker starts once (the parser tables are built in the parent before
the pool forks, libcst is imported once per worker at most), takes jobs in
chunks, and the options (with the device map and the cache's digests) reach
it once, when it starts, not with every job.

No pre-filter skips parsing on a first run.  A file without any ``disk`` or
``uname`` text has no disks, but it may still be malformed, and a malformed
file must be reported; only a parse can tell.  So every file is parsed, and
only the transform is skipped when the (ASCII) text cannot hold a disk (see
``_may_have_disks``).  Re-runs are made fast by the cache instead: a file
whose exact bytes were seen unchanged is not parsed again, and its findings
are replayed (:mod:`xencfg.cache`).
"""

from __future__ import annotations

import fnmatch
import itertools
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from stat import S_ISLNK
from typing import Iterable, Iterator, Mapping

from .cache import digest, findings_from
from .document import ParseError
from .formats.detect import parse_bytes
from .maps import DeviceMap
from .transforms.findings import Finding
from .transforms.migrate import Migrate

DEFAULT_INCLUDE = ("*.cfg", "*.sxp", "xend-config.sxp")
SKIP_DIRS = {".git", ".hg", ".svn", "CVS", ".bzr", "_darcs", "__pycache__"}
TMP_PREFIX, TMP_SUFFIX = ".xencfg-", ".tmp"


@dataclass
class Job:
    path: str  # as the user should see it
    real: str  # the file to read and write (symlinks resolved)
    # --out-dir: where the converted content goes (relative to DIR), and the
    # symbolic links to reproduce there as (relative path, link text).
    outs: list[str] = field(default_factory=list)
    links: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class FileResult:
    path: str
    real: str
    old: bytes | None = None  # dropped once delivered by a worker
    new: bytes | None = None  # None when nothing changes
    findings: list[Finding] = field(default_factory=list)
    error: str | None = None  # "PATH:LINE:COL: error: ..." for bad input
    crash: str | None = None  # an internal error, with its traceback
    changed: bool = False
    digest: str | None = None  # sha256 of the bytes read
    cached: bool = False  # skipped: these bytes were seen unchanged before
    patch: str = ""  # diff: the file's part of the patch
    written: bool = False  # apply: the file (or its out-dir copy) was written
    stat: os.stat_result | None = None  # of the file read, for --out-dir copies

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


# -- walking ----------------------------------------------------------------
def collect(
    paths: Iterable[str],
    include: Iterable[str] = (),
    exclude: Iterable[str] = (),
    skip: Iterable[str] = (),
) -> tuple[list[Job], list[str]]:
    """Files to process, each real file once, and errors for missing paths.

    Files named on the command line are always taken; files found by walking
    a directory must match an include glob and no exclude glob.  Hidden and
    VCS folders are skipped, and so are the folders in ``skip`` (real paths:
    an --out-dir inside the tree).  A file reached twice (a symlink in
    ``auto/`` to ``../web01.cfg``) is one job, shown under its own name
    rather than the link's when both are walked.
    """
    include = tuple(include) or DEFAULT_INCLUDE
    exclude = tuple(exclude)
    skip_real = {os.path.realpath(s) for s in skip}
    errors: list[str] = []
    # (shown path, real path, out-dir relative path, link text or None,
    # whether the shown path is a symlink)
    entries: list[tuple[str, str | None, str, str | None, bool]] = []
    stdin = False
    pending: list[tuple[int, str, str, str]] = []
    walked: set[tuple[str, str]] = set()  # (real root, folder) seen, not links

    def entry(
        shown: str,
        rel: str,
        root: str | None,
        real_root: str = "",
        is_link: bool | None = None,
    ) -> None:
        # realpath() costs a system call per path component: walked files
        # that are not links are found under their folder's real path.
        if is_link is None:
            is_link = os.path.islink(shown)
        link = None
        if root is not None and is_link:
            text = os.readlink(shown)
            inside = os.path.normpath(os.path.join(os.path.dirname(rel), text))
            if not os.path.isabs(text) and not inside.startswith(".."):
                link = text
        if root is not None and not is_link:
            real = os.path.join(real_root, rel)
        elif link is not None:
            # A relative link inside the walked tree: resolved once the walk
            # has seen every folder (see below).
            real = None
            pending.append((len(entries), shown, real_root, inside))
        else:
            real = os.path.realpath(shown)
        entries.append((shown, real, rel.replace(os.sep, "/"), link, is_link))

    inc_rx, exc_rx = _globs(include), _globs(exclude)

    def walk(folder: str, rel_dir: str, top: str, real_root: str) -> None:
        # os.scandir gives each entry's type without a stat per file.
        try:
            with os.scandir(folder) as it:
                found = sorted(it, key=lambda e: e.name)
        except OSError as err:
            # Not passed over in silence: its configs would go unchecked.
            errors.append(f"{folder}: error: cannot read folder: {err.strerror}")
            return
        walked.add((real_root, rel_dir))
        subdirs = []
        for e in found:
            name = e.name
            if name.startswith("."):
                continue
            try:
                is_dir = e.is_dir()
            except OSError:
                is_dir = False
            rel = f"{rel_dir}/{name}" if rel_dir else name
            if is_dir:
                if e.is_symlink() or name in SKIP_DIRS:
                    continue  # symlinked folders are not followed
                if skip_real and os.path.realpath(e.path) in skip_real:
                    continue
                subdirs.append((e.path, rel))
                continue
            if not (inc_rx.match(name) or inc_rx.match(rel)):
                continue
            if exc_rx is not None and (exc_rx.match(name) or exc_rx.match(rel)):
                continue
            try:
                if not e.is_file():
                    continue
            except OSError:
                continue
            entry(os.path.join(top, rel), rel, top, real_root, e.is_symlink())
        for path, rel in subdirs:
            walk(path, rel, top, real_root)

    for arg in paths:
        if arg == "-":
            stdin = True
            continue
        p = Path(arg)
        if p.is_dir():
            top = os.path.normpath(arg)
            walk(arg, "", "" if top == "." else top, os.path.realpath(arg))
        elif p.is_file():
            entry(arg, os.path.basename(arg), None)
        else:
            errors.append(f"{arg}: error: no such file or directory")

    # A link whose target is in a folder the walk reached without links has
    # that folder's real path already; a link to a link needs realpath().
    for i, shown, real_root, inside in pending:
        real = os.path.join(real_root, inside)
        folder = os.path.dirname(inside)
        if (real_root, folder) not in walked or os.path.islink(real):
            real = os.path.realpath(shown)
        entries[i] = (shown, real, *entries[i][2:])

    # One job per real file: shown under a name that is not a symlink if the
    # walk has one, else under the first name it was reached by.
    by_real: dict[str, Job] = {}
    order: list[str] = []
    reps: dict[str, int] = {}
    for i, (shown, real, _rel, _link, is_link) in enumerate(entries):
        if real not in reps or (entries[reps[real]][4] and not is_link):
            if real not in reps:
                order.append(real)
            reps[real] = i
    contents = {entries[i][2] for i in reps.values()}
    for real in order:
        shown = entries[reps[real]][0]
        by_real[real] = Job(shown, real)
    for i, (shown, real, rel, link, _) in enumerate(entries):
        job = by_real[real]
        target = (
            os.path.normpath(os.path.join(os.path.dirname(rel), link)).replace(
                os.sep, "/"
            )
            if link is not None
            else None
        )
        if i == reps[real] or link is None or target not in contents:
            job.outs.append(rel)
        else:
            job.links.append((rel, link))
    jobs = [by_real[r] for r in order]
    if stdin:
        jobs.insert(0, Job("-", "-"))
    return jobs, errors


def _globs(globs: Iterable[str]) -> "re.Pattern[str] | None":
    """One regular expression for a set of shell globs (None for no globs)."""
    globs = tuple(globs)
    if not globs:
        return None
    return re.compile("|".join(f"(?:{fnmatch.translate(g)})" for g in globs))


# -- one file ---------------------------------------------------------------
@dataclass
class Options:
    devmap: DeviceMap | None = None
    fmt: str = "auto"
    resolve_links: bool = False
    # what a worker delivers: "" (nothing: a library call), "check", "diff",
    # "apply"; for diff the folder patch paths are relative to, for apply a
    # backup suffix or an --out-dir.
    command: str = ""
    patch_root: str = "."
    backup: str | None = None
    out_dir: str | None = None
    cache: Mapping[str, str] = field(default_factory=dict)  # see cache.py


def _may_have_disks(text: str) -> bool:
    """False only when no disk can be in ``text``: disks are found under a
    ``disk`` setting (xl, xm) or a ``uname`` (S-expressions), so ASCII text
    without either word has none.  Non-ASCII text always counts as maybe:
    Python reads full-width letters in names as ASCII ones."""
    return not text.isascii() or "disk" in text or "uname" in text


def process(job: Job, opts: Options, data: bytes | None = None) -> FileResult:
    """Run the whole path for one file.  Never raises."""
    res = FileResult(job.path, job.real)
    try:
        if data is None:
            try:
                data, res.stat = read_file(job.real)
            except OSError as err:  # only the file's own errors are "bad input"
                res.error = f"{job.path}: error: {err.strerror or err}"
                return res
        res.old = data
        if job.real != "-":
            res.digest = digest(data)
            found = opts.cache.get(res.digest)
            replayed = None if found is None else findings_from(found, job.path)
            if replayed is not None:
                res.findings, res.cached = replayed, True
                return res
        try:
            doc = parse_bytes(data, job.path, opts.fmt)
        except ParseError as err:
            res.error = err.format(job.path)
            return res
        if _may_have_disks(doc.text):
            edits, res.findings = Migrate(opts.devmap, opts.resolve_links).run(doc)
            if edits:
                new = doc.apply(edits)
                if new != data:
                    res.new = new
                    res.changed = True
    except Exception:  # an internal error: reported, never raised
        import traceback

        res.crash = traceback.format_exc()
    return res


def work(job: Job, opts: Options) -> FileResult:
    """process() and deliver: what a worker does with one job.  Never raises.

    The bytes are dropped from the result once delivered, so little travels
    back to the parent (standard input keeps them: the parent writes it).
    """
    res = process(job, opts)
    if res.error or res.crash or job.real == "-":
        return res
    try:
        deliver(job, res, opts)
    except OSError as err:
        res.error = f"{job.path}: error: cannot write: {err.strerror or err}" + (
            f": {err.filename}" if err.filename else ""
        )
    except Exception:
        import traceback

        res.crash = traceback.format_exc()
    res.old = res.new = res.stat = None
    return res


def deliver(job: Job, res: FileResult, opts: Options) -> None:
    if opts.command == "diff" and res.changed:
        from .diffs import unified

        res.patch = unified(res.old, res.new, patch_path(job.path, opts.patch_root))
    elif opts.command == "apply" and opts.out_dir is not None:
        _write_out(job, res, opts.out_dir)
        res.written = True
    elif opts.command == "apply" and res.changed:
        write_atomic(job.real, res.new, opts.backup)
        res.written = True


def patch_path(path: str, root: str) -> str:
    """``path`` as a patch names it: relative to ``root`` with '/' separators;
    a file outside ``root`` by its absolute path without the leading '/'
    (apply such a patch with ``patch -p1 -d /``)."""
    full = os.path.abspath(path)
    rel = os.path.relpath(full, os.path.abspath(root))
    if rel == ".." or rel.startswith(".." + os.sep):
        rel = full.lstrip(os.sep)
    return rel.replace(os.sep, "/")


def _write_out(job: Job, res: FileResult, out_dir: str) -> None:
    """Write the converted (or unchanged) content to each out-dir path of the
    job, and its symbolic links; never into a source file."""
    data = res.new if res.changed else res.old
    st = res.stat or os.stat(job.real)
    for rel in job.outs:
        dest = os.path.join(out_dir, rel)
        folder = os.path.dirname(dest) or "."
        _make_folder(folder)
        try:
            # A folder this run made holds only this run's copies, each
            # written once: nothing to check there (one system call less).
            found = None if folder in _FRESH else os.lstat(dest)
        except FileNotFoundError:
            found = None  # a new file: the usual case, nothing to check
        if found is not None:
            # A link already there is replaced, never followed: a copy is
            # never written outside DIR.  The file itself (DIR reaching into
            # the tree through a folder link) is never written at all.
            if not S_ISLNK(found.st_mode) and os.path.samefile(dest, job.real):
                raise OSError(0, "refusing to write into the source", dest)
        # No fsync for copies: a killed run still leaves each one old or new
        # (the rename is atomic); only a power cut could, and the source is
        # untouched anyway.
        _replace(dest, data, st, durable=False)
    for rel, text in job.links:
        dest = os.path.join(out_dir, rel)
        folder = os.path.dirname(dest) or "."
        _make_folder(folder)
        if os.path.islink(dest) and os.readlink(dest) == text:
            continue
        while True:
            tmp = _temp_path(folder)
            try:
                os.symlink(text, tmp)
                break
            except FileExistsError:  # left by a killed run with our pid
                continue
        try:
            os.replace(tmp, dest)
        except BaseException:
            os.unlink(tmp)
            raise


_MADE: set[str] = set()  # out-dir folders this process has made (or found)
_FRESH: set[str] = set()  # those of them that did not exist before this run


def _make_folder(folder: str) -> None:
    if folder not in _MADE:
        if not os.path.isdir(folder):
            os.makedirs(folder, exist_ok=True)
            _FRESH.add(folder)
        _MADE.add(folder)


# -- many files -------------------------------------------------------------
_OPTS: Options | None = None


def _init(opts: Options) -> None:
    global _OPTS
    _OPTS = opts


def _work_chunk(jobs: list[Job]) -> list[FileResult]:
    return [work(job, _OPTS) for job in jobs]


def _warm_up() -> None:
    """Compile the fast readers' patterns once, in the parent, before
    workers fork (the xl parser itself is built only where a file needs it)."""
    try:
        from .formats import sxp, xl

        xl._scanners()
        sxp._scanner()
    except Exception:
        pass


def run(jobs: list[Job], opts: Options, workers: int = 1) -> Iterator[FileResult]:
    """work() on every job; results in job order; in parallel when
    ``workers`` > 1 and there are enough files to pay for the processes."""
    _MADE.clear()
    _FRESH.clear()
    if workers <= 1 or len(jobs) < 16:
        for job in jobs:
            yield work(job, opts)
        return
    from concurrent.futures import ProcessPoolExecutor  # not for one file

    _warm_up()
    size = max(1, min(128, len(jobs) // (workers * 8)))
    chunks = [jobs[i : i + size] for i in range(0, len(jobs), size)]
    with ProcessPoolExecutor(
        max_workers=workers, initializer=_init, initargs=(opts,)
    ) as pool:
        for results in pool.map(_work_chunk, chunks):
            yield from results


# -- writing ----------------------------------------------------------------
def write_atomic(path: str, data: bytes, backup: str | None = None) -> None:
    """Replace ``path`` with ``data``: temp file in the same folder, fsync,
    rename.  Mode, owner and group are kept; a killed run leaves the old or
    the new file, never half of one (a SIGKILL between creating and renaming
    the temp file may leave a ``.xencfg-*.tmp`` behind; a normal run never
    does).  A symlink stays a symlink: its target is rewritten.  ``backup``
    keeps the original as PATH+SUFFIX (written before the file is replaced)."""
    real = os.path.realpath(path)
    st = os.stat(real)
    if backup:
        with open(real, "rb") as fh:
            _replace(real + backup, fh.read(), st)
    _replace(real, data, st)


def read_file(path: str) -> tuple[bytes, os.stat_result]:
    """The bytes of ``path`` and its stat, in as few system calls as it takes."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    try:
        st = os.fstat(fd)
        chunks = []
        size = max(st.st_size, 0) + 1  # one more, to see the end of the file
        while True:
            chunk = os.read(fd, size)
            if not chunk:
                break
            chunks.append(chunk)
            size = 1 << 16
        return b"".join(chunks), st
    finally:
        os.close(fd)


_TMP_COUNT = itertools.count()


def _temp_path(folder: str) -> str:
    """A fresh temp name in ``folder`` (hidden, so a walk never takes it)."""
    return os.path.join(
        folder, f"{TMP_PREFIX}{os.getpid()}-{next(_TMP_COUNT)}{TMP_SUFFIX}"
    )


def _create_temp(folder: str) -> tuple[int, str]:
    """A new, empty, private file in ``folder``: (descriptor, path)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    flags |= getattr(os, "O_NOFOLLOW", 0)
    while True:
        path = _temp_path(folder)
        try:
            return os.open(path, flags, 0o600), path
        except FileExistsError:  # left by a killed run of a process with our pid
            continue


def _replace(dest: str, data: bytes, st: os.stat_result, durable: bool = True) -> None:
    folder = os.path.dirname(dest) or "."
    fd, tmp = _create_temp(folder)
    try:
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            try:
                os.fchown(fd, st.st_uid, st.st_gid)
            except PermissionError:
                pass  # not root: the file stays ours, as any editor would leave it
            # After chown, which clears set-user-ID bits.
            os.fchmod(fd, st.st_mode & 0o7777)
            if durable:
                os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, dest)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    if durable:
        _fsync_dir(folder)


def _fsync_dir(folder: str) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
