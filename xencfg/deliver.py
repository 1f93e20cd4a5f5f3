"""Delivery: what becomes of a converted file.

A worker delivers a file where it is (the patch text for a diff, the atomic
write in place or the --out-dir copy for apply); standard input is delivered
by the parent, on stdout, through ``deliver_stdin``.  Delivery knows nothing
of the command line: a Delivery says what to produce.
"""

from __future__ import annotations

import os
import sys

from .pipeline import FileResult
from .records import Record

# The patch, the writes and their messages are imported where they are
# needed: a check delivers nothing, and its start-up is most of its time.


class Delivery(Record):
    __slots__ = ("patch_root", "write", "backup", "out_dir", "made")
    __slots__ += ("fresh", "known")
    _fields = __slots__

    def __init__(
        self,
        patch_root: str | None = None,  # a patch, paths relative to this folder
        write: bool = False,  # write the converted file (in place, or out_dir)
        backup: str | None = None,  # in place: keep each original as FILE+SUFFIX
        out_dir: str | None = None,  # write copies of every file under this folder
        made: set[str] | None = None,  # out-dir folders made
        fresh: set[str] | None = None,  # of those, new this run
        known: dict | None = None,  # what new files get (see write.replace)
    ) -> None:
        self.patch_root = patch_root
        self.write = write
        self.backup = backup
        self.out_dir = out_dir
        self.made = set() if made is None else made
        self.fresh = set() if fresh is None else fresh
        self.known = {} if known is None else known


def deliver(job, res: FileResult, how: Delivery) -> None:
    """Deliver the result of the walk.Job ``job``; raises OSError."""
    if not how.write and how.patch_root is None:
        return  # check: nothing to deliver
    if how.write and res.changed and res.dump:
        from .transforms.dumps import dump_refused

        res.error = dump_refused(job.path)
        return
    if how.patch_root is not None and res.changed:
        from .diffs import unified

        res.patch = unified(res.old, res.new, patch_path(job.path, how.patch_root))
    elif how.write and how.out_dir is not None:
        from .write import write_copies

        data = res.new if res.changed else res.old
        st = res.stat or os.stat(job.real)
        write_copies(
            job.real,
            data,
            st,
            job.outs,
            job.links,
            how.out_dir,
            how.made,
            how.fresh,
            how.known,
        )
        res.written = True
    elif how.write and res.changed:
        from .transforms.findings import Finding
        from .write import write_atomic

        for text in write_atomic(job.real, res.new, how.backup):
            res.findings.append(Finding(1, 1, "write", "warning", text, path=job.path))
        res.written = True


def deliver_stdin(res: FileResult, how: Delivery) -> None:
    """Standard input, converted: the new bytes (apply) or a patch (diff) on
    stdout."""
    if how.write:
        # A filter: the whole text, changed or not, so `apply -` can sit in
        # a pipe (or a redirect) without emptying an unchanged file.
        sys.stdout.flush()
        sys.stdout.buffer.write(res.new if res.changed else res.old)
        sys.stdout.buffer.flush()
    elif not res.changed:
        return
    elif how.patch_root is not None:
        from .diffs import unified

        sys.stdout.write(unified(res.old, res.new, "-"))


def patch_path(path: str, root: str) -> str:
    """``path`` as a patch names it: relative to ``root`` with '/' separators;
    a file outside ``root`` by its absolute path without the leading '/'
    (apply such a patch with ``patch -p1 -d /``)."""
    full = os.path.abspath(path)
    rel = os.path.relpath(full, os.path.abspath(root))
    if rel == ".." or rel.startswith(".." + os.sep):
        rel = full.lstrip(os.sep)
    return rel.replace(os.sep, "/")
