"""Run one measurement in a forked child, for a fresh memory high-water mark
and a heap the parent's earlier runs have not grown."""

from __future__ import annotations

import os
from typing import Callable


def in_child(
    measure: Callable[[], str], on_error: Callable[[BaseException], str]
) -> str:
    """``measure()`` run in a forked child (in-process where there is no
    fork); its text, or ``on_error(exception)`` when it raised."""
    if not hasattr(os, "fork"):
        try:
            return measure()
        except BaseException as e:  # noqa: BLE001 - reported by the caller
            return on_error(e)
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # child
        os.close(r)
        try:
            answer = measure()
        except BaseException as e:  # noqa: BLE001 - reported by the caller
            answer = on_error(e)
        os.write(w, answer.encode("utf-8", "replace")[:65536])
        os.close(w)
        os._exit(0)
    os.close(w)
    with os.fdopen(r, "rb") as f:
        answer = f.read().decode()
    os.waitpid(pid, 0)
    return answer
