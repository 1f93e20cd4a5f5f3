"""The worker pool: the pipeline and delivery over many files, in parallel.

A worker runs the whole path for one file (:func:`xencfg.pipeline.process`)
and delivers it (:mod:`xencfg.deliver`), then returns a small picklable
FileResult; it never raises and never prints.  Only the parent prints, so
the output of parallel runs never interleaves.

Speed: the parser tables are built in the parent before the pool forks,
libcst is imported once per worker at most, each worker gets the options
(the map) once, when it starts, and keeps what it learns (the map's answers,
the disk specs read, the folders made); jobs travel in small chunks, so the
two workers end together; the cache's digests do not travel: each worker
reads the cache file once.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

from .deliver import Delivery, deliver
from .cache import seen_in
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


# A worker's options and delivery, given once when it starts (not with every
# chunk: the map's remembered answers and the folders made stay with it).
_GIVEN: tuple[Options, Delivery] | None = None


def _start_worker(parent: int, opts: Options, how: Delivery) -> None:
    global _GIVEN
    die_with_parent(parent)
    if opts.cache_file is not None:  # read once: the parent saves it at the end
        opts.cache, opts.cache_file = seen_in(opts.cache_file), None
    _GIVEN = (opts, how)


def _work_chunk(jobs: list) -> list[FileResult]:
    opts, how = _GIVEN
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

    warm_up()
    mine = opts
    if opts.cache_file is not None:
        # The workers read the cache file themselves, once each, rather
        # than receive the whole cache with every chunk.
        opts = Options(opts.devmap, opts.fmt, opts.resolve_links, {}, opts.cache_file)
    size = max(1, min(64, len(jobs) // (workers * 8)))
    chunks = [jobs[i : i + size] for i in range(0, len(jobs), size)]
    # The parent is one of the workers: it takes chunks from the back while
    # the pool works from the front (no third process on the cores, and
    # its share of the results never travels).
    with ProcessPoolExecutor(
        max_workers=workers - 1,
        initializer=_start_worker,
        initargs=(os.getpid(), opts, how),
    ) as pool:
        futures = [pool.submit(_work_chunk, chunk) for chunk in chunks]
        yield from _in_order(chunks, futures, lambda job: work(job, mine, how))


def _in_order(chunks: list, futures: list, work_here) -> Iterator[FileResult]:
    """The results of every chunk in order: each from its future, or, while
    the next one is not ready, from a chunk at the back that no worker has
    started, done here (once the pool has started one, it has started every
    chunk before it: nothing is left to take)."""
    here: dict[int, list[FileResult]] = {}
    back = len(chunks)  # chunks[back:] are done here
    taking = True
    for i in range(len(chunks)):
        if i >= back:
            yield from here.pop(i)
            continue
        while taking and back - 1 > i and not futures[i].done():
            if futures[back - 1].cancel():
                back -= 1
                here[back] = [work_here(job) for job in chunks[back]]
            else:
                taking = False
        yield from futures[i].result()
