"""The pool's ordering: the parent takes chunks from the back while workers
take them from the front, and every result comes out once, in job order."""

import random

from xencfg.pool import _in_order


class FakeFuture:
    """A chunk a pool worker may have started (then it finishes it)."""

    def __init__(self, chunk, started, ready):
        self.chunk, self.started, self.ready = chunk, started, ready
        self.cancelled = False

    def done(self):
        return self.ready

    def cancel(self):
        if self.started:
            return False
        self.cancelled = True
        return True

    def result(self):
        assert not self.cancelled, "a cancelled chunk's result was asked for"
        return [("pool", job) for job in self.chunk]


def test_every_result_once_and_in_order():
    rnd = random.Random(7)
    for _ in range(300):
        n = rnd.randint(1, 12)
        chunks = [[f"{c}.{j}" for j in range(rnd.randint(1, 3))] for c in range(n)]
        # The pool starts a prefix of the chunks, in order; some are done.
        started = rnd.randint(0, n)
        futures = [
            FakeFuture(chunk, c < started, c < started and rnd.random() < 0.5)
            for c, chunk in enumerate(chunks)
        ]
        got = list(_in_order(chunks, futures, lambda job: ("here", job)))
        assert [job for _, job in got] == [job for chunk in chunks for job in chunk]
        for c, fut in enumerate(futures):
            whose = {w for w, job in got if job in set(chunks[c])}
            assert whose == ({"here"} if fut.cancelled else {"pool"})


def test_the_parent_takes_work_only_from_the_back():
    chunks = [[c] for c in range(6)]
    futures = [FakeFuture(chunk, c < 2, False) for c, chunk in enumerate(chunks)]
    got = list(_in_order(chunks, futures, lambda job: ("here", job)))
    assert got == [("pool", 0), ("pool", 1)] + [("here", c) for c in range(2, 6)]
