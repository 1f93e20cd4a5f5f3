"""What apply does to the files around the one it rewrites: backups never
overwritten, owners and hard links that cannot be kept are named, and no
worker outlives a killed parent."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from conftest import SAMPLES
from xencfg.cli import main

MAP_TEXT = (SAMPLES / "golden" / "dlmcfgmgr-v.txt").read_text()
OLD = "name = 'web01'\ndisk = [ 'phy:/dev/sda,xvda,w' ]\n"
NEW = OLD.replace("/dev/sda,", "/dev/sddlmaa,")


@pytest.fixture
def here(tmp_path, monkeypatch):
    monkeypatch.setenv("XENCFG_CACHE_DIR", str(tmp_path / ".cache"))
    (tmp_path / "map.txt").write_text(MAP_TEXT)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def apply(capsys, *argv):
    code = main(["apply", "--map", "map.txt", *argv])
    return code, capsys.readouterr().err


def test_backups_are_numbered_never_overwritten(here, capsys):
    (here / "web01.cfg.orig").write_text("an older backup\n")
    for n, text in enumerate(["first\n", "second\n"], 1):
        (here / "web01.cfg").write_text(OLD.replace("web01", text.strip()))
        code, err = apply(capsys, "--backup", ".orig", "web01.cfg")
        assert code == 0, err
        assert (here / f"web01.cfg.orig.{n}").read_text() == OLD.replace(
            "web01", text.strip()
        )
    assert (here / "web01.cfg.orig").read_text() == "an older backup\n"
    assert not (here / "web01.cfg.orig.3").exists()


def test_owner_that_cannot_be_kept_is_named(here, capsys, monkeypatch):
    cfg = here / "web01.cfg"
    cfg.write_text(OLD)
    st = cfg.stat()

    def refuse(fd, uid, gid):
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(os, "fchown", refuse)
    monkeypatch.setattr(os, "getuid", lambda: st.st_uid + 1)
    code, err = apply(capsys, "web01.cfg")
    assert code == 0
    assert cfg.read_text() == NEW
    assert "web01.cfg:1:1: warning: owner and group not kept:" in err
    assert f"(was {st.st_uid}:{st.st_gid}" in err
    # And as root (or as the owner) nothing is said.
    monkeypatch.undo()
    monkeypatch.chdir(here)
    cfg.write_text(OLD)
    code, err = apply(capsys, "web01.cfg")
    assert code == 0 and "not kept" not in err


def test_hard_link_split_is_reported(here, capsys):
    cfg = here / "web01.cfg"
    cfg.write_text(OLD)
    os.link(cfg, here / "web01.hard")
    code, err = apply(capsys, "web01.cfg")
    assert code == 0
    assert "web01.cfg:1:1: warning: hard link split:" in err and "2 names" in err
    assert cfg.read_text() == NEW  # written anyway (documented)
    assert (here / "web01.hard").read_text() == OLD


def _children(pid: int) -> set[int]:
    found = set()
    for task in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{task}/children") as fh:
            found |= {int(p) for p in fh.read().split()}
    return found


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split(") ")[-1][0] != "Z"
    except FileNotFoundError:
        return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="needs /proc")
@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM])
def test_no_worker_outlives_a_killed_parent(here, sig):
    folder = here / "many"
    folder.mkdir()
    for i in range(8000):  # (enough to be killed while it works)
        (folder / f"d{i}.cfg").write_text(OLD.replace("web01", f"d{i}"))
    proc = subprocess.Popen(
        # -j 3: the parent and two pool workers (the parent is one of the -j)
        [sys.executable, "-m", "xencfg", "check", "-j", "3", "--no-cache"]
        + ["--map", "map.txt", "-q", "many"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        workers: set[int] = set()
        while len(workers) < 2 and proc.poll() is None:
            assert time.monotonic() < deadline, "no workers started"
            workers = _children(proc.pid)
            time.sleep(0.005)
        assert proc.poll() is None, "finished before it could be killed"
        os.kill(proc.pid, sig)
        proc.wait(30)
        deadline = time.monotonic() + 15
        while any(_alive(w) for w in workers) and time.monotonic() < deadline:
            time.sleep(0.1)
        left = [w for w in workers if _alive(w)]
        for w in left:
            os.kill(w, signal.SIGKILL)
        assert not left, f"workers {left} outlived their parent"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


@pytest.mark.parametrize("jobs", ["1", "2"])
@pytest.mark.parametrize("umask", [0o022, 0o077])
def test_out_dir_copies_keep_mode_owner_and_group(here, capsys, jobs, umask):
    """Each copy gets its source's mode, owner and group, whatever the
    umask, and in a folder whose set-group-ID bit would give its own group."""
    root = os.geteuid() == 0
    modes = [0o644, 0o600, 0o640, 0o755, 0o444, 0o4755, 0o2640]
    owners = [(None, None), (1234, None), (None, 5678), (4321, 8765)]
    expect = {}
    for folder in ("a", "b"):
        (here / "etc" / folder).mkdir(parents=True)
        for i, mode in enumerate(modes * 3):
            path = here / "etc" / folder / f"vm{i}.cfg"
            path.write_text(OLD.replace("web01", f"vm{i}") if i % 2 else "vcpus = 1\n")
            uid, gid = owners[i % len(owners)] if root else (None, None)
            if uid is not None or gid is not None:
                os.chown(path, -1 if uid is None else uid, -1 if gid is None else gid)
            path.chmod(mode)
            st = path.stat()
            expect[f"{folder}/{path.name}"] = (
                st.st_mode & 0o7777,
                st.st_uid,
                st.st_gid,
            )
    if root:  # a copy folder already there, giving its group to new files
        (here / "out" / "b").mkdir(parents=True)
        os.chown(here / "out" / "b", -1, 4242)
        (here / "out" / "b").chmod(0o2775)
    old = os.umask(umask)
    try:
        code, err = apply(capsys, "-j", jobs, "--no-cache", "--out-dir", "out", "etc")
    finally:
        os.umask(old)
    assert code == 0, err
    for rel, want in expect.items():
        st = (here / "out" / rel).stat()
        assert (st.st_mode & 0o7777, st.st_uid, st.st_gid) == want, rel
