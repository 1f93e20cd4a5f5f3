"""check, diff and apply over many files: the parent side of a batch.

It walks (:mod:`xencfg.walk`), hands the jobs to the pool
(:mod:`xencfg.pool`), delivers standard input itself, keeps the cache and
lets the :class:`~xencfg.report.Report` print the results in the order the
files were found and decide the exit code.
"""

from __future__ import annotations

import gc
import os
import sys

from . import rxstore
from .cache import Cache, key as cache_key
from .deliver import Delivery, deliver_stdin
from .errors import BAD, err
from .pipeline import Options, process
from .pool import run_jobs
from .progress import Progress
from .records import Record
from .report import Report
from .walk import collect


class Batch(Record):
    """One check / diff / apply run, as the command line asked for it."""

    __slots__ = ("paths", "opts", "how", "report", "include", "exclude")
    __slots__ += ("use_cache", "workers")
    _fields = __slots__

    def __init__(
        self,
        paths: list[str],
        opts: Options,
        how: Delivery,
        report: Report,
        include: list[str] | None = None,
        exclude: list[str] | None = None,
        use_cache: bool = True,
        workers: int = 0,  # 0: one per core
    ) -> None:
        self.paths = paths
        self.opts = opts
        self.how = how
        self.report = report
        self.include = [] if include is None else include
        self.exclude = [] if exclude is None else exclude
        self.use_cache = use_cache
        self.workers = workers


def run_batch(batch: Batch) -> int:
    # Almost nothing a batch makes is in a reference cycle: a file's nodes
    # are freed when it is done, the walk's jobs live to the end.  The
    # collector, run every 700 new objects, would walk those again and
    # again for nothing: rarer while the batch runs.
    threshold = gc.get_threshold()
    gc.set_threshold(max(threshold[0], 20000), *threshold[1:])
    try:
        return _run_batch(batch)
    finally:
        gc.set_threshold(*threshold)


def _run_batch(batch: Batch) -> int:
    out_dir = batch.how.out_dir
    jobs, missing = collect(
        batch.paths, batch.include, batch.exclude, [out_dir] if out_dir else []
    )
    report = batch.report
    for m in missing:
        report.missing_path(m)
    if out_dir is not None:
        problem = out_dir_problem(jobs, out_dir)
        if problem:
            err(f"xencfg: error: {problem}")
            return BAD
    opts = batch.opts
    cache = Cache(cache_key(opts.devmap, opts.fmt, opts.resolve_links))
    if batch.use_cache:
        opts.cache = cache.load()  # look-ups by get()
    workers = batch.workers if batch.workers > 0 else (os.cpu_count() or 1)
    report.progress = Progress.for_stderr(len(jobs), report.quiet)

    stdin_data = None
    if any(j.real == "-" for j in jobs):
        stdin_data = sys.stdin.buffer.read()
    results = run_jobs([j for j in jobs if j.real != "-"], opts, batch.how, workers)
    if stdin_data is not None:
        results = _chain(process(jobs[0], opts, stdin_data), results)
    try:
        for res in results:
            report.done(res)
            if batch.use_cache and res.cacheable:
                cache.add(res.digest, res.findings)
            if res.real == "-" and not (res.error or res.crash):
                deliver_stdin(res, batch.how)
    finally:
        report.progress.clear()
        if batch.use_cache:
            cache.save()
            rxstore.save()  # the patterns this run compiled, for the next
    return report.finish()


def _chain(first, rest):
    yield first
    yield from rest


def out_dir_problem(jobs, out_dir: str) -> str | None:
    """Why --out-dir cannot be used with these files, or None."""
    if any(j.real == "-" for j in jobs):
        return "--out-dir needs files: standard input has no path"
    seen: dict[str, str] = {}
    fresh = not os.path.lexists(out_dir)  # then nothing is there yet
    for job in jobs:
        rels = job.outs if not job.links else job.outs + [r for r, _ in job.links]
        for rel in rels:
            if rel in seen and seen[rel] != job.path:
                return (
                    f"{seen[rel]} and {job.path} would both be written to "
                    f"{os.path.join(out_dir, rel)}"
                )
            seen[rel] = job.path
            if fresh:
                continue
            dest = os.path.join(out_dir, rel)
            # (A link there is replaced, not followed: see write.write_copies.)
            if (
                os.path.lexists(dest)
                and not os.path.islink(dest)
                and os.path.samefile(dest, job.real)
            ):
                return f"--out-dir {out_dir} would overwrite the source {job.path}"
    return None
