"""The worker pool: the pipeline and delivery over many files, in parallel.

A worker runs the whole path for one file (:func:`xencfg.pipeline.process`)
and delivers it (:mod:`xencfg.deliver`), then returns a small picklable
FileResult; it never raises and never prints.  Only the parent prints, so
the output of parallel runs never interleaves.

Speed: the parser tables are built in the parent before the workers are
forked (:mod:`xencfg.forked`), once the files are known, so each worker has
the jobs, the options (the map) and the cache's text without their
travelling; only chunk numbers go to it and results come back.  A worker
keeps what it learns (the map's answers, the disk specs read, the folders
made).  The parent is one of the ``-j`` workers: it takes chunks from the
back while the others take them from the front, and chunks are small, so
all end together.  Without ``os.fork`` (Windows) a batch runs in one
process.
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

        xl._scanner()
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
    how.known.clear()
    if workers <= 1 or len(jobs) < 16 or not hasattr(os, "fork"):
        for job in jobs:
            yield work(job, opts, how)
        return
    warm_up()
    # Small chunks: the parent checks for results between two of its own,
    # and at the end nobody waits long for the last one.
    size = max(1, min(16, len(jobs) // (workers * 8)))
    chunks = [jobs[i : i + size] for i in range(0, len(jobs), size)]
    from .forked import Children

    parent = os.getpid()

    def work_chunk(chunk: list) -> list[FileResult]:
        return [work(job, opts, how) for job in chunk]

    with Children(
        workers - 1, chunks, lambda: die_with_parent(parent), work_chunk, _lost
    ) as kids:
        yield from in_order(chunks, kids, lambda job: work(job, opts, how))


def _lost(job, why: str) -> FileResult:
    """The result of a file a worker held when it died (killed, out of
    memory): a failure of the run, as a write that fails is, not of
    xencfg's code."""
    return FileResult(
        job.path,
        job.real,
        error=f"{job.path}: error: not done: the worker process reading it "
        f"died ({why}); the file may or may not have been written: run again",
    )


def in_order(chunks: list, kids, work_here) -> Iterator[FileResult]:
    """The results of every chunk, in order.  The children take chunks from
    the front (a few each, ahead); the parent takes them from the back
    whenever the next result is not in yet, and waits only when nothing is
    left to take.  ``kids``: ``give(i)`` hands chunk i to a child that has
    room (False: none has), ``take(block)`` the (i, results) that came in."""
    done: dict[int, list] = {}
    front, back = 0, len(chunks)  # chunks[front:back]: not taken yet
    for i in range(len(chunks)):
        while i not in done:
            for j, results in kids.take(block=False):
                done[j] = results
            while front < back and kids.give(front):
                front += 1
            if i in done:
                break
            if front < back:
                back -= 1
                done[back] = [work_here(job) for job in chunks[back]]
            else:  # every chunk is taken: the next result is a child's
                for j, results in kids.take(block=True):
                    done[j] = results
        yield from done.pop(i)
