"""Running the one-way path over many files: walk, parse, transform, write.

A worker runs the whole path for one file and returns a picklable
FileResult; it never raises and never prints.  Only the parent prints, so
output of parallel runs never interleaves.
"""

from __future__ import annotations

import fnmatch
import os
import tempfile
import traceback
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator

from .document import ParseError
from .formats.detect import parse_bytes
from .maps import DeviceMap
from .transforms.findings import Finding
from .transforms.migrate import Migrate

DEFAULT_INCLUDE = ("*.cfg", "*.sxp", "xend-config.sxp")
SKIP_DIRS = {".git", ".hg", ".svn", "CVS", ".bzr", "_darcs", "__pycache__"}


@dataclass
class Job:
    path: str  # as the user should see it
    real: str  # the file to read and write (symlinks resolved)


@dataclass
class FileResult:
    path: str
    real: str
    old: bytes | None = None
    new: bytes | None = None  # None when nothing changes
    findings: list[Finding] = field(default_factory=list)
    error: str | None = None  # "PATH:LINE:COL: error: ..." for bad input
    crash: str | None = None  # an internal error, with its traceback

    @property
    def changed(self) -> bool:
        return self.new is not None


# -- walking ----------------------------------------------------------------
def collect(
    paths: Iterable[str],
    include: Iterable[str] = (),
    exclude: Iterable[str] = (),
) -> tuple[list[Job], list[str]]:
    """Files to process, each real file once, and errors for missing paths.

    Files named on the command line are always taken; files found by walking
    a directory must match an include glob and no exclude glob.  Hidden and
    VCS folders are skipped.
    """
    include = tuple(include) or DEFAULT_INCLUDE
    exclude = tuple(exclude)
    jobs: list[Job] = []
    errors: list[str] = []
    seen: set[str] = set()

    def add(shown: str) -> None:
        real = os.path.realpath(shown)
        if real in seen:
            return
        seen.add(real)
        jobs.append(Job(shown, real))

    for arg in paths:
        if arg == "-":
            jobs.append(Job("-", "-"))
            continue
        p = Path(arg)
        if p.is_dir():
            for root, dirs, files in os.walk(arg, followlinks=False):
                dirs[:] = sorted(
                    d for d in dirs if not d.startswith(".") and d not in SKIP_DIRS
                )
                for name in sorted(files):
                    if name.startswith("."):
                        continue
                    full = os.path.normpath(os.path.join(root, name))
                    rel = os.path.relpath(full, arg)
                    if not _matches(name, rel, include) or _matches(name, rel, exclude):
                        continue
                    if os.path.isfile(full):
                        add(full)
        elif p.is_file():
            add(arg)
        else:
            errors.append(f"{arg}: error: no such file or directory")
    return jobs, errors


def _matches(name: str, rel: str, globs: tuple[str, ...]) -> bool:
    return any(fnmatch.fnmatch(name, g) or fnmatch.fnmatch(rel, g) for g in globs)


# -- one file ---------------------------------------------------------------
@dataclass
class Options:
    devmap: DeviceMap | None = None
    fmt: str = "auto"
    resolve_links: bool = False


def process(job: Job, opts: Options, data: bytes | None = None) -> FileResult:
    """Run the whole path for one file.  Never raises."""
    res = FileResult(job.path, job.real)
    try:
        if data is None:
            with open(job.real, "rb") as fh:
                data = fh.read()
        res.old = data
        try:
            doc = parse_bytes(data, job.path, opts.fmt)
        except ParseError as err:
            res.error = err.format(job.path)
            return res
        edits, res.findings = Migrate(opts.devmap, opts.resolve_links).run(doc)
        if edits:
            new = doc.apply(edits)
            if new != data:
                res.new = new
    except OSError as err:
        res.error = f"{job.path}: error: {err.strerror or err}"
    except Exception:  # an internal error: reported, never raised
        res.crash = traceback.format_exc()
    return res


def _process_star(args) -> FileResult:
    return process(*args)


def run(jobs: list[Job], opts: Options, workers: int = 1) -> Iterator[FileResult]:
    """Results in job order; in parallel when ``workers`` > 1."""
    if workers <= 1 or len(jobs) < 2:
        for job in jobs:
            yield process(job, opts)
        return
    with ProcessPoolExecutor(max_workers=workers) as pool:
        chunk = max(1, min(64, len(jobs) // (workers * 4)))
        yield from pool.map(_process_star, ((j, opts) for j in jobs), chunksize=chunk)


# -- writing ----------------------------------------------------------------
def write_atomic(path: str, data: bytes, backup: str | None = None) -> None:
    """Replace ``path`` with ``data``: temp file in the same folder, fsync,
    rename.  Mode, owner and group are kept; a killed run leaves the old or
    the new file, never half of one.  A symlink stays a symlink: its target
    is rewritten.  ``backup`` keeps the original as PATH+SUFFIX."""
    real = os.path.realpath(path)
    st = os.stat(real)
    if backup:
        with open(real, "rb") as fh:
            _replace(real + backup, fh.read(), st)
    _replace(real, data, st)


def _replace(dest: str, data: bytes, st: os.stat_result) -> None:
    folder = os.path.dirname(dest) or "."
    fd, tmp = tempfile.mkstemp(prefix=".xencfg-", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, st.st_mode & 0o7777)
        try:
            os.chown(tmp, st.st_uid, st.st_gid)
        except PermissionError:
            pass  # not root: the file stays ours, as any editor would leave it
        os.replace(tmp, dest)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
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
