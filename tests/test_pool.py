"""The pool: the parent takes chunks from the back while forked workers take
them from the front; every result comes out once, in job order; a worker
that dies costs the files it held (reported as such), never the run."""

import os
import random
import signal
import sys

import pytest

from xencfg import pool
from xencfg.deliver import Delivery
from xencfg.maps import parse_map
from xencfg.pipeline import Options
from xencfg.pool import in_order, run_jobs
from xencfg.walk import collect


class FakeKids:
    """Children that hold up to ``room`` chunks and report them in any
    order, some at a time."""

    def __init__(self, rnd, room):
        self.rnd, self.room = rnd, room
        self.held, self.given = [], []

    def give(self, i):
        if len(self.held) >= self.room:
            return False
        self.held.append(i)
        self.given.append(i)
        return True

    def take(self, block):
        ready = [i for i in self.held if self.rnd.random() < 0.4]
        if block and not ready and self.held:
            ready = [self.rnd.choice(self.held)]
        for i in ready:
            self.held.remove(i)
        return [(i, [("kid", i)]) for i in ready]


def test_every_result_once_and_in_order():
    rnd = random.Random(7)
    for _ in range(300):
        n = rnd.randint(1, 30)
        chunks = [[c] for c in range(n)]
        kids = FakeKids(rnd, rnd.randint(0, 4))
        got = list(in_order(chunks, kids, lambda job: ("here", job)))
        assert [c for _, c in got] == list(range(n))
        # The children had a prefix of the chunks, the parent the rest.
        assert kids.given == list(range(len(kids.given)))
        assert {c for who, c in got if who == "kid"} == set(kids.given)


def test_without_room_in_any_child_the_parent_does_it_all():
    chunks = [[c] for c in range(5)]
    got = list(in_order(chunks, FakeKids(random.Random(1), 0), lambda j: ("here", j)))
    assert got == [("here", c) for c in range(5)]


# -- real workers ---------------------------------------------------------------

needs_fork = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")

CFG = "name = 'vm{i}'\ndisk = [ 'phy:/dev/sda,xvda,w', 'phy:/dev/sdq,xvdb,w' ]\n"


@pytest.fixture
def tree(tmp_path):
    for i in range(300):
        (tmp_path / f"vm{i:03}.cfg").write_text(CFG.format(i=i))
    jobs, missing = collect([str(tmp_path)])
    assert not missing and len(jobs) == 300
    return jobs


def _summary(results):
    return [
        (r.path, r.changed, [f.text() for f in r.findings], r.crash) for r in results
    ]


@needs_fork
@pytest.mark.parametrize("workers", [2, 3, 5])
def test_workers_give_what_one_process_gives(tree, workers):
    opts = Options(parse_map("/dev/sda /dev/sddlmaa\n", "plain"))
    alone = list(run_jobs(tree, opts, Delivery(), 1))
    many = list(run_jobs(tree, opts, Delivery(), workers))
    assert _summary(many) == _summary(alone)
    assert [r.path for r in many] == [j.path for j in tree]
    assert all(r.changed and not r.crash for r in many)
    with pytest.raises(ChildProcessError):  # every worker was reaped
        os.waitpid(-1, os.WNOHANG)


@needs_fork
def test_a_worker_that_dies_costs_only_the_files_it_held(tree, monkeypatch):
    parent = os.getpid()
    real_work = pool.work

    def work(job, opts, how):
        if os.getpid() != parent and job.path.endswith("vm000.cfg"):
            os.kill(os.getpid(), signal.SIGKILL)
        return real_work(job, opts, how)

    monkeypatch.setattr(pool, "work", work)
    opts = Options(parse_map("/dev/sda /dev/sddlmaa\n", "plain"))
    results = list(run_jobs(tree, opts, Delivery(), 2))
    assert [r.path for r in results] == [j.path for j in tree]
    lost = [r for r in results if r.error]
    # The first chunk was the worker's: its files are reported, said lost.
    assert lost and lost[0].path.endswith("vm000.cfg")
    assert all(r.error.startswith(f"{r.path}: error: not done: ") for r in lost)
    assert all("killed by signal 9" in r.error for r in lost)
    assert all("run again" in r.error for r in lost)
    # The parent did every other file; nothing is called an internal error.
    assert len(lost) < len(tree) // 2
    assert all(r.changed for r in results if not r.error)
    assert not any(r.crash for r in results)
    with pytest.raises(ChildProcessError):
        os.waitpid(-1, os.WNOHANG)


@needs_fork
def test_leaving_early_ends_and_reaps_the_workers(tree):
    opts = Options(parse_map("/dev/sda /dev/sddlmaa\n", "plain"))
    results = run_jobs(tree, opts, Delivery(), 3)
    first = next(results)
    assert first.path.endswith("vm000.cfg")
    results.close()  # (as when the report stops at an exception)
    with pytest.raises(ChildProcessError):
        os.waitpid(-1, os.WNOHANG)


@needs_fork
def test_a_worker_prints_nothing(tree, capfd):
    opts = Options(parse_map("/dev/sda /dev/sddlmaa\n", "plain"))
    sys.stdout.write("before ")  # buffered in the parent when it forks
    list(run_jobs(tree, opts, Delivery(), 2))
    sys.stdout.flush()
    out, err = capfd.readouterr()
    assert out == "before " and err == ""


def test_a_file_leaves_no_garbage_cycle(tmp_path):
    """A file's text, nodes and results are freed by reference counting as
    soon as it is done: nothing waits in a cycle for the collector (an xm
    file's xl error, kept with its traceback, held the whole file so).  (A
    file that fails may keep its parser's frames until the collector runs:
    rare, and bounded.)"""
    import gc

    texts = {
        "xl.cfg": CFG.format(i=1),
        "xm.cfg": "import os\ndisk = ['phy:/dev/sda,xvda,w']\nif os.path.exists('/x'):\n"
        "    disk.append('phy:/dev/sdq,xvdb,w')\n",
        "plain-xm.cfg": "name = 'a'\ndisk.append('phy:/dev/sda,xvda,w')\n",
        "dump.sxp": "(domain (domid 1) (name a) (device (vbd (uname phy:/dev/sda))))\n",
        "both.cfg": "(a, b) = ('x', 'y')\n",
    }
    for name, text in texts.items():
        (tmp_path / name).write_text(text)
    jobs, _ = collect([str(tmp_path)])
    opts = Options(parse_map("/dev/sda /dev/sddlmaa\n", "plain"))
    list(run_jobs(jobs, opts, Delivery(), 1))  # (memos and imports made)
    gc.collect()
    was = gc.isenabled()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        results = list(run_jobs(jobs, opts, Delivery(), 1))
        gc.collect()
        kept = [type(o).__name__ for o in gc.garbage]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        if was:
            gc.enable()
    assert len(results) == len(texts) and not any(r.error for r in results)
    assert kept == []


@needs_fork
def test_without_a_process_to_fork_the_parent_does_it_all(tree, monkeypatch):
    def refuse():
        raise BlockingIOError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(os, "fork", refuse)
    opts = Options(parse_map("/dev/sda /dev/sddlmaa\n", "plain"))
    results = list(run_jobs(tree, opts, Delivery(), 4))
    assert [r.path for r in results] == [j.path for j in tree]
    assert all(r.changed and not r.crash for r in results)


@needs_fork
def test_forked_workers_replay_the_cache_the_parent_loaded(tmp_path):
    """A second run over the same files: every file, whichever process
    takes it, is answered from the cache (not parsed), with its findings."""
    from xencfg.batch import Batch, run_batch
    from xencfg.report import Report

    for i in range(200):  # unmapped disks: unchanged files, with a finding
        (tmp_path / f"vm{i:03}.cfg").write_text(
            f"name = 'vm{i}'\ndisk = ['phy:/dev/sdq,xvda,w']\n"
        )
    cache_dir = tmp_path / "cache"
    seen = []

    def run():
        report = Report("check", quiet=True)
        report.done = lambda res, done=report.done: (seen.append(res), done(res))[1]
        opts = Options(parse_map("/dev/sda /dev/sddlmaa\n", "plain"))
        batch = Batch([str(tmp_path)], opts, Delivery(), report, workers=3)
        os.environ["XENCFG_CACHE_DIR"] = str(cache_dir)
        try:
            return run_batch(batch)
        finally:
            del os.environ["XENCFG_CACHE_DIR"]

    run()
    first, seen[:] = list(seen), []
    run()
    assert len(seen) == len(first) == 200
    assert not any(r.cached for r in first)
    assert all(r.cached for r in seen)
    assert [[f.text() for f in r.findings] for r in seen] == [
        [f.text() for f in r.findings] for r in first
    ]
