"""The worker pool: the pipeline and delivery over many files, in parallel.

A worker runs the whole path for one file (:func:`xencfg.pipeline.process`)
and delivers it (:mod:`xencfg.deliver`), then returns a small picklable
FileResult; it never raises and never prints.  Only the parent prints, so
the output of parallel runs never interleaves.

Speed: the parser tables are built in the parent before the pool forks,
libcst is imported once per worker at most, and jobs travel in chunks, each
with the options (the map: small next to a chunk's work); the cache's
digests do not travel: each worker reads the cache file once.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

from .deliver import Delivery, deliver
from .pipeline import FileResult, Options, process


def work(job, opts: Options, how: Delivery) -> FileResult:
    """process() and deliver one walk.Job.  Never raises.

    The bytes are dropped from the result once delivered, so little travels
    back to the parent (standard input keeps them: the parent writes it).
    """
    res = process(job, opts)
    if res.error or res.crash or job.real == "-":
        return res
    try:
        deliver(job, res, how)
    except OSError as e:
        res.error = f"{job.path}: error: cannot write: {e.strerror or e}" + (
            f": {e.filename}" if e.filename else ""
        )
    except Exception:
        import traceback

        res.crash = traceback.format_exc()
    res.old = res.new = res.stat = None
    return res


def _work_chunk(opts: Options, how: Delivery, jobs: list) -> list[FileResult]:
    return [work(job, opts, how) for job in jobs]


def die_with_parent(parent: int) -> None:
    """Worker initializer: no worker outlives the parent, however it dies
    (SIGKILL included).  Linux: the kernel sends SIGKILL when the parent
    goes (PR_SET_PDEATHSIG); everywhere: a thread that polls getppid()."""
    import signal
    import threading

    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # 1: PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass  # not Linux: the thread below does it
    if os.getppid() != parent:  # the parent died before prctl took hold
        os._exit(1)
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()


def _watch_parent(parent: int) -> None:
    import time

    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(1)


def warm_up() -> None:
    """Compile the fast readers' patterns once, in the parent, before
    workers fork (the xl parser itself is built only where a file needs it)."""
    try:
        from .formats import sxp, xl

        xl._scanners()
        sxp._scanner()
    except Exception:
        pass


def run_jobs(
    jobs: list, opts: Options, how: Delivery, workers: int = 1
) -> Iterator[FileResult]:
    """work() on every job; results in job order; in parallel when
    ``workers`` > 1 and there are enough files to pay for the processes."""
    how.made.clear()
    how.fresh.clear()
    if workers <= 1 or len(jobs) < 16:
        for job in jobs:
            yield work(job, opts, how)
        return
    from concurrent.futures import ProcessPoolExecutor  # not for one file
    from functools import partial

    warm_up()
    if opts.cache_file is not None:
        # The workers read the cache file themselves, once each, rather
        # than receive the whole cache with every chunk.
        opts = Options(opts.devmap, opts.fmt, opts.resolve_links, {}, opts.cache_file)
    size = max(1, min(128, len(jobs) // (workers * 8)))
    chunks = [jobs[i : i + size] for i in range(0, len(jobs), size)]
    with ProcessPoolExecutor(
        max_workers=workers, initializer=die_with_parent, initargs=(os.getpid(),)
    ) as pool:
        for results in pool.map(partial(_work_chunk, opts, how), chunks):
            yield from results
