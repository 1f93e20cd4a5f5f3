"""Forked workers for the batch pool (:mod:`xencfg.pool`).

Each child is forked once the files are known, so it has the jobs, the map
and the cache already: only chunk numbers go down its task pipe (four bytes
each) and only its pickled results come back up its result pipe.  The
parent reads them between its own chunks, with no thread of its own, so its
share of the work never waits for a pool's bookkeeping.

A child that dies (killed, out of memory) is noticed at the end of its
pipe: the files it held are reported as failed, each saying so, the others
go on.  Closing the task pipes ends the children; the parent reaps
them, whatever way it leaves.
"""

from __future__ import annotations

import gc
import os
import pickle
import select
import struct

_TASK = struct.Struct("<I")  # a chunk number
_HEAD = struct.Struct("<II")  # chunk number, length of its pickled results
AHEAD = 3  # chunks a child holds, so it never waits for the parent


class _Child:
    __slots__ = ("pid", "tasks", "results", "held", "buf")

    def __init__(self, pid: int, tasks: int, results: int) -> None:
        self.pid, self.tasks, self.results = pid, tasks, results
        self.held: list[int] = []  # chunks given, results not in yet
        self.buf = bytearray()


class Children:
    """``count`` forked children that run ``work_chunk(chunk)`` on the chunks
    they are given, after ``init()``; a context manager (reaps them)."""

    def __init__(self, count: int, chunks: list, init, work_chunk, lost) -> None:
        self.count, self.chunks = count, chunks
        self.init, self.work_chunk, self.lost = init, work_chunk, lost
        self.kids: list[_Child] = []

    def __enter__(self) -> "Children":
        gc.freeze()  # (the children share the parent's pages: the collector
        # would otherwise touch, and so copy, every one of them)
        try:
            for _ in range(self.count):
                self.kids.append(self._fork())
        except OSError:
            pass  # no more processes (EAGAIN, ENOMEM): fewer workers, or none
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def _fork(self) -> _Child:
        task_r, task_w = os.pipe()
        res_r, res_w = os.pipe()
        try:
            pid = os.fork()
        except OSError:
            for fd in (task_r, task_w, res_r, res_w):
                os.close(fd)
            raise
        if pid == 0:  # the child: never returns
            code = 1
            try:
                os.close(task_w)
                os.close(res_r)
                for kid in self.kids:
                    os.close(kid.tasks)
                    os.close(kid.results)
                self.init()
                _serve(task_r, res_w, self.chunks, self.work_chunk)
                code = 0
            finally:
                os._exit(code)
        os.close(task_r)
        os.close(res_w)
        os.set_blocking(res_r, False)
        return _Child(pid, task_w, res_r)

    def give(self, i: int) -> bool:
        """Hand chunk ``i`` to the child holding the fewest; False when every
        child holds enough (or none is left)."""
        kids = [k for k in self.kids if k.tasks >= 0 and len(k.held) < AHEAD]
        if not kids:
            return False
        kid = min(kids, key=lambda k: len(k.held))
        try:
            os.write(kid.tasks, _TASK.pack(i))
        except OSError:  # it is gone: its end of the pipe says why, later
            os.close(kid.tasks)
            kid.tasks = -1
            return self.give(i)
        kid.held.append(i)
        return True

    def take(self, block: bool) -> list[tuple[int, list]]:
        """The (chunk number, results) that came in; with ``block``, waits
        until something does (a child that died counts)."""
        live = [k for k in self.kids if k.results >= 0]
        if not live:
            return []
        ready, _, _ = select.select(
            [k.results for k in live], [], [], None if block else 0
        )
        out: list[tuple[int, list]] = []
        for kid in live:
            if kid.results in ready:
                self._read(kid, out)
        return out

    def _read(self, kid: _Child, out: list) -> None:
        ended = False
        while True:
            try:
                data = os.read(kid.results, 1 << 16)
            except BlockingIOError:
                break
            if not data:
                ended = True
                break
            kid.buf += data
        buf = kid.buf
        while len(buf) >= _HEAD.size:
            i, n = _HEAD.unpack_from(buf)
            if len(buf) < _HEAD.size + n:
                break
            out.append((i, pickle.loads(buf[_HEAD.size : _HEAD.size + n])))
            del buf[: _HEAD.size + n]
            kid.held.remove(i)
        if ended:
            self._ended(kid, out)

    def _ended(self, kid: _Child, out: list) -> None:
        """The child's pipe closed: it is gone; what it held is lost."""
        os.close(kid.results)
        kid.results = -1
        if kid.tasks >= 0:
            os.close(kid.tasks)
            kid.tasks = -1
        why = _reap(kid)
        for i in kid.held:
            out.append((i, [self.lost(job, why) for job in self.chunks[i]]))
        kid.held.clear()

    def __exit__(self, *exc) -> None:
        # Both pipes closed first: a child waiting for work ends, and one
        # still writing results no one reads fails rather than waits.
        for kid in self.kids:
            for fd in (kid.tasks, kid.results):
                if fd >= 0:
                    os.close(fd)
            kid.tasks = kid.results = -1
        for kid in self.kids:
            _reap(kid)
        gc.unfreeze()  # (what was frozen for the fork may be collected again)


def _reap(kid: _Child) -> str:
    """Wait for the child; how it ended, in words."""
    if kid.pid <= 0:
        return "it ended"
    try:
        _, status = os.waitpid(kid.pid, 0)
    except ChildProcessError:
        status = 0
    kid.pid = 0
    if os.WIFSIGNALED(status):
        return f"it was killed by signal {os.WTERMSIG(status)}"
    return f"it exited with status {os.waitstatus_to_exitcode(status)}"


def _serve(tasks: int, results: int, chunks: list, work_chunk) -> None:
    """The child's loop: a chunk number in, its pickled results out, until
    the parent closes the task pipe."""
    while True:
        head = _read_exact(tasks, _TASK.size)
        if head is None:
            return
        (i,) = _TASK.unpack(head)
        data = pickle.dumps(work_chunk(chunks[i]), pickle.HIGHEST_PROTOCOL)
        view = memoryview(_HEAD.pack(i, len(data)) + data)
        while view:
            view = view[os.write(results, view) :]


def _read_exact(fd: int, n: int) -> bytes | None:
    data = b""
    while len(data) < n:
        more = os.read(fd, n - len(data))
        if not more:
            return None
        data += more
    return data
