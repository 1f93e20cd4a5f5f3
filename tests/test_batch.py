"""Batch runs as a user sees them: a tree of hundreds of configs (nested
folders, autostart symlinks, mode 600 files, one malformed file) through
``xencfg check``, ``diff`` and ``apply`` in a subprocess."""

from __future__ import annotations

import hashlib
import json
import os
import pty
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from xencfg.formats.detect import parse_bytes

MAP = "HDevName Management Device Host Channel Target Lun\n" + "".join(
    f"/dev/sddlma{c} configured /dev/sd{c} 2 0 0 {i}\n"
    for i, c in enumerate("abcdefgh")
)
BAD = "etc/xen/site1/broken.cfg"


def xl(name: str, dev: str) -> str:
    return (
        f'# {name}\nname = "{name}"\nmemory = 512\n'
        f"disk = [ 'phy:{dev},xvda,w', 'file:/srv/{name}.img,xvdb,w' ]\n"
        f"vif = [ 'bridge=xenbr0' ]\n"
    )


def xm(name: str, dev: str) -> str:
    return (
        f"# -*- python -*-\nname = '{name}'\nkernel = '/boot/vmlinuz'\n"
        f"disk = ['phy:{dev},xvda,w']\ndisk.append('phy:/dev/vg0/{name},xvdb,w')\n"
    )


def sxp(name: str, dev: str) -> str:
    return (
        f"(domain\n    (name {name})\n    (memory 256)\n"
        f"    (device (vbd (dev xvda:disk) (uname phy:{dev}) (mode w)))\n)\n"
    )


def build_tree(root: Path, n: int = 300, seed: int = 7) -> dict[str, bytes]:
    """Write ``n`` configs under ``root/etc/xen``; return {relpath: bytes}."""
    rnd = random.Random(seed)
    files: dict[str, bytes] = {}
    for i in range(n):
        site = f"site{i % 3}"
        sub = f"rack{i % 5}" if i % 2 else ""
        name = f"vm{i:03d}"
        dev = rnd.choice(
            ["/dev/sda", "/dev/sdb", "/dev/sdc2", "/dev/sddlmad", "/dev/vg0/x"]
        )
        kind = i % 6
        if kind < 4:
            text, ext = xl(name, dev), ".cfg"
        elif kind == 4:
            text, ext = xm(name, dev), ".cfg"
        else:
            text, ext = sxp(name, dev), ".sxp"
        rel = "/".join(p for p in ("etc/xen", site, sub, name + ext) if p)
        files[rel] = text.encode()
    files["etc/xen/xend-config.sxp"] = b"(xend-relocation-server yes)\n"
    files["etc/xen/computed.cfg"] = (
        b"name = 'computed'\nd = 'sdb'\ndisk = ['phy:/dev/%s,xvda,w' % d]\n"
    )
    files[BAD] = b"name = 'broken'\ndisk = [ 'phy:/dev/sda,xvda,w'\n"
    files["etc/xen/README"] = b"not a config\n"
    files["etc/xen/.hidden/x.cfg"] = b"disk = [ 'phy:/dev/sda,xvda,w' ]\n"
    files["etc/xen/.git/y.cfg"] = b"disk = [ 'phy:/dev/sda,xvda,w' ]\n"
    for rel, data in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)
        if rel.endswith("5.cfg"):
            p.chmod(0o600)
    auto = root / "etc/xen/auto"
    auto.mkdir()
    for rel in sorted(files)[:40:3]:
        if rel.endswith(".cfg") and rel != BAD and "/." not in rel:
            target = os.path.relpath(root / rel, auto)
            (auto / os.path.basename(rel)).symlink_to(target)
    (root / "map.txt").write_text(MAP)
    return files


@pytest.fixture
def tree(tmp_path: Path):
    files = build_tree(tmp_path)
    return tmp_path, files


def xencfg(*args, cwd, cache=None, **kw) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env["XENCFG_CACHE_DIR"] = str(cache or Path(cwd) / ".cache-x")
    return subprocess.run(
        [sys.executable, "-m", "xencfg", *map(str, args)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        **kw,
    )


def snapshot(root: Path) -> dict[str, tuple]:
    """Everything a user could notice about a tree: bytes, modes, links."""
    out = {}
    for dirpath, dirs, names in os.walk(root):
        for name in names:
            p = Path(dirpath, name)
            rel = str(p.relative_to(root))
            if p.is_symlink():
                out[rel] = ("link", os.readlink(p))
            else:
                st = p.stat()
                out[rel] = ("file", p.read_bytes(), st.st_mode & 0o7777)
    return out


def temp_files(root: Path) -> list[Path]:
    return [p for p in root.rglob(".xencfg-*.tmp")]


def configs(files: dict[str, bytes]) -> list[str]:
    return [
        r for r in files if "/." not in r and r.endswith((".cfg", ".sxp")) and r != BAD
    ]


def would_change(files) -> list[str]:
    out = []
    for rel in configs(files):
        text = files[rel].decode()
        if any(f"/dev/sd{c}" in text for c in "abc") and "%" not in text:
            out.append(rel)
    return out


# -- check ------------------------------------------------------------------
def test_check_walks_the_tree_and_reports_each_file_once(tree):
    root, files = tree
    r = xencfg("check", "--map", "map.txt", "etc/xen", cwd=root)
    assert r.returncode == 2, r.stderr  # a malformed file: bad input
    changing = would_change(files)
    reported = {line.split(":")[0] for line in r.stdout.splitlines()}
    assert reported == set(changing)
    assert not any("/auto/" in line for line in r.stdout.splitlines())
    assert f"{BAD}:3:1: error:" in r.stderr or f"{BAD}:2:" in r.stderr
    assert "etc/xen/computed.cfg:3:" in r.stderr  # the computed disk warning
    total = len(configs(files))
    assert r.stderr.rstrip().endswith(
        f"{len(changing)} files would be migrated, "
        f"{total - len(changing)} files left unchanged, 1 file failed."
    )
    assert ".hidden" not in r.stdout + r.stderr and ".git" not in r.stdout


def test_parallel_output_is_the_same_as_serial(tree):
    root, _ = tree
    one = xencfg("diff", "--map", "map.txt", "-j", "1", "etc/xen", cwd=root)
    four = xencfg("diff", "--map", "map.txt", "-j", "4", "etc/xen", cwd=root)
    assert one.stdout == four.stdout and one.stdout.count("diff --git") > 50
    assert one.stderr == four.stderr
    assert one.returncode == four.returncode == 2


def test_malformed_file_without_disks_is_still_reported(tmp_path):
    (tmp_path / "a.cfg").write_text("memory = [ 512\n")
    (tmp_path / "b.cfg").write_text("memory = 512\n")
    (tmp_path / "map.txt").write_text(MAP)
    r = xencfg("check", "--map", "map.txt", ".", cwd=tmp_path)
    assert r.returncode == 2
    assert "a.cfg:" in r.stderr and "error" in r.stderr
    assert "0 files would be migrated, 1 file left unchanged, 1 file failed." in (
        r.stderr
    )


def test_policy_without_map(tree):
    root, files = tree
    r = xencfg("check", "--exclude", "broken.cfg", "etc/xen", cwd=root)
    assert r.returncode == 1
    assert "uses the SCSI device /dev/sd" in r.stdout
    assert all(": error: " in line for line in r.stdout.splitlines())


# -- apply ------------------------------------------------------------------
def test_apply_converts_in_place_keeping_modes_and_links(tree):
    root, files = tree
    before = snapshot(root / "etc/xen")
    r = xencfg("apply", "--map", "map.txt", "etc/xen", cwd=root)
    assert r.returncode == 2  # the malformed file
    assert f"{len(would_change(files))} files migrated" in r.stderr
    after = snapshot(root / "etc/xen")
    assert set(after) == set(before)
    assert after[BAD.removeprefix("etc/xen/")] == before[BAD.removeprefix("etc/xen/")]
    for rel, old in before.items():
        new = after[rel]
        if old[0] == "link":
            assert new == old  # still a link, to the same place
            continue
        assert new[2] == old[2]  # mode kept (600 stays 600)
        if "/." in "/" + rel or rel == "README":
            assert new == old
        elif ("etc/xen/" + rel) in would_change(files):
            assert b"/dev/sddlma" in new[1] and new[1] != old[1]
            parse_bytes(new[1], rel)
    assert any(v[0] == "file" and v[2] == 0o600 for v in after.values())
    assert not temp_files(root)
    # Links in auto/ read the converted file.
    for link in (root / "etc/xen/auto").iterdir():
        assert link.is_symlink() and b"/dev/sda," not in link.read_bytes()

    # A second run finds nothing to do.
    r = xencfg(
        "apply", "--map", "map.txt", "--exclude", "broken.cfg", "etc/xen", cwd=root
    )
    r = xencfg(
        "check", "--map", "map.txt", "--exclude", "broken.cfg", "etc/xen", cwd=root
    )
    assert r.returncode == 0, r.stdout
    assert r.stdout == ""
    assert r.stderr.rstrip().endswith(
        f"0 files would be migrated, {len(configs(files))} files left unchanged."
    )
    assert "computed.cfg:3:" in r.stderr  # warnings shown again


def test_backup_keeps_the_original(tree):
    root, files = tree
    rel = would_change(files)[0]
    (root / rel).chmod(0o640)
    r = xencfg("apply", "--map", "map.txt", "--backup", ".orig", rel, cwd=root)
    assert r.returncode == 0, r.stderr
    assert (root / (rel + ".orig")).read_bytes() == files[rel]
    assert (root / (rel + ".orig")).stat().st_mode & 0o777 == 0o640
    assert (root / rel).read_bytes() != files[rel]
    assert (root / rel).stat().st_mode & 0o777 == 0o640


def test_out_dir_writes_a_converted_copy_and_never_touches_the_source(tree):
    root, files = tree
    before = snapshot(root / "etc/xen")
    out = root / "converted"
    r = xencfg("apply", "--map", "map.txt", "--out-dir", out, "etc/xen", cwd=root)
    assert r.returncode == 2, r.stderr
    assert snapshot(root / "etc/xen") == before
    got = snapshot(out)
    wanted = {r.removeprefix("etc/xen/") for r in configs(files)}
    links = {k for k, v in got.items() if v[0] == "link"}
    assert set(got) - links == wanted
    assert links == {k for k, v in before.items() if v[0] == "link"}
    for rel in links:
        assert got[rel] == before[rel]
        assert (out / rel).resolve().is_relative_to(out.resolve())
    for rel in wanted:
        src = before[rel]
        assert got[rel][2] == src[2]
        if "etc/xen/" + rel in would_change(files):
            assert got[rel][1] != src[1] and b"/dev/sddlma" in got[rel][1]
        else:
            assert got[rel][1] == src[1]  # unchanged files copied too
    # The same bytes as an in-place apply gives.
    copy = root / "copy"
    shutil.copytree(root / "etc/xen", copy, symlinks=True)
    xencfg("apply", "--map", "map.txt", "copy", cwd=root)
    for rel in wanted:
        assert (copy / rel).read_bytes() == (out / rel).read_bytes()
    assert not temp_files(root)

    # A file argument lands at DIR/basename; an out-dir inside the tree is
    # not walked as part of it.
    one = would_change(files)[0]
    r = xencfg("apply", "--map", "map.txt", "--out-dir", "etc/xen/o", one, cwd=root)
    assert r.returncode == 0
    assert (root / "etc/xen/o" / os.path.basename(one)).exists()
    r = xencfg("check", "--map", "map.txt", "--out-dir", "x", "etc/xen", cwd=root)
    assert r.returncode == 2 and "unrecognized" in r.stderr  # apply only
    r = xencfg(
        "apply", "--map", "map.txt", "--out-dir", "etc/xen/o", "etc/xen", cwd=root
    )
    assert "etc/xen/o/" not in r.stderr


# -- diff: one patch for config management -----------------------------------
def test_diff_is_one_patch_for_git_apply_and_patch(tree):
    root, files = tree
    ref = root / "ref"
    shutil.copytree(root / "etc/xen", ref, symlinks=True)
    xencfg("apply", "--map", "map.txt", "ref", cwd=root)

    r = xencfg("diff", "--map", "../../map.txt", ".", cwd=root / "etc/xen")
    assert r.returncode == 2  # the malformed file is reported...
    patch = r.stdout  # ...and the patch still covers every other file
    assert patch.count("diff --git a/") == len(would_change(files))
    assert "a/auto/" not in patch

    for tool in ("git", "patch"):
        if shutil.which(tool) is None:
            continue
        work = root / f"with-{tool}"
        shutil.copytree(root / "etc/xen", work, symlinks=True)
        if tool == "git":
            subprocess.run(["git", "init", "-q"], cwd=work, check=True)
            cmd = ["git", "apply", "-"]
        else:
            cmd = ["patch", "-p1", "-s"]
        done = subprocess.run(cmd, cwd=work, input=patch, text=True)
        assert done.returncode == 0
        for rel in configs(files):
            rel = rel.removeprefix("etc/xen/")
            assert (work / rel).read_bytes() == (ref / rel).read_bytes(), rel

    # --relative sets the root, wherever the command runs.
    r2 = xencfg(
        "diff", "--map", "map.txt", "--relative", "etc/xen", "etc/xen", cwd=root
    )
    assert r2.stdout == patch


# -- cache --------------------------------------------------------------------
def test_cache_skips_nothing_that_matters(tree):
    root, files = tree
    cache = root / "c"
    args = ("check", "--map", "map.txt", "--exclude", "broken.cfg", "etc/xen")
    first = xencfg(*args, cwd=root, cache=cache)
    assert first.returncode == 1
    assert list(cache.rglob("cache.*"))  # where XENCFG_CACHE_DIR says
    second = xencfg(*args, cwd=root, cache=cache)
    assert (second.returncode, second.stdout, second.stderr) == (
        first.returncode,
        first.stdout,
        first.stderr,
    )
    # A cached (unchanged) file edited to use a SCSI disk is seen again.
    quiet = next(r for r in configs(files) if "/dev/vg0/x" in files[r].decode())
    (root / quiet).write_text(files[quiet].decode().replace("/dev/vg0/x", "/dev/sdc"))
    third = xencfg(*args, cwd=root, cache=cache)
    assert f"{quiet}:" in third.stdout
    # Another map: another cache.
    (root / "map2.txt").write_text(
        MAP.replace("sddlmaa", "sddlmah").replace(
            "/dev/sddlmah configured /dev/sdh", "/dev/sddlmaa configured /dev/sdh"
        )
    )
    r = xencfg("check", "--map", "map2.txt", quiet, cwd=root, cache=cache)
    assert r.returncode == 1
    r = xencfg(*args, "--no-cache", cwd=root, cache=root / "none")
    assert r.stdout == third.stdout and not (root / "none").exists()


def test_a_cached_file_is_not_parsed_again_and_says_the_same(tree):
    from xencfg.pipeline import Options, process
    from xencfg.walk import Job
    from xencfg.cache import Cache, key
    from xencfg.maps import parse_map

    root, files = tree
    cache = root / "c"
    args = ("check", "--map", "map.txt", "--report", "json", "etc/xen")
    first = xencfg(*args, cwd=root, cache=cache)
    second = xencfg(*args, cwd=root, cache=cache)
    assert first.returncode == second.returncode == 2  # the broken file
    assert json.loads(second.stdout) == json.loads(first.stdout)
    kinds = {r.get("kind") for r in json.loads(first.stdout)["findings"]}
    assert {"computed", "ok", "migrate"} <= kinds

    # Files with warnings or notes are cached with them; changes and errors not.
    devmap = parse_map((root / "map.txt").read_text())
    (found,) = cache.rglob("cache.*.txt")
    seen = Cache(key(devmap, "auto", False), str(found.parent)).load().seen
    computed = (root / "etc/xen/computed.cfg").read_bytes()
    assert hashlib.sha256(computed).hexdigest() in seen
    assert hashlib.sha256((root / BAD).read_bytes()).hexdigest() not in seen
    opts = Options(devmap=devmap, cache=seen)
    fresh = process(Job("computed.cfg", "computed.cfg"), Options(devmap), computed)
    again = process(Job("computed.cfg", "computed.cfg"), opts, computed)
    assert again.cached and not fresh.cached
    assert again.findings == fresh.findings and fresh.findings
    assert fresh.findings[0].kind == "computed"

    # A damaged cache line is ignored: that file is simply read again.
    found.write_text(found.read_text().replace('"computed"', '"comp'))
    third = xencfg(*args, cwd=root, cache=cache)
    assert json.loads(third.stdout) == json.loads(first.stdout)
    assert '"comp,' not in found.read_text()  # and the line is mended


# -- progress -------------------------------------------------------------------
def test_progress_bar_only_on_a_terminal(tree):
    root, _ = tree
    args = ("check", "--map", "map.txt", "-j", "2", "etc/xen")
    piped = xencfg(*args, cwd=root)
    assert "\r[" not in piped.stderr
    master, slave = pty.openpty()
    env = dict(os.environ, XENCFG_CACHE_DIR=str(root / "c"))
    proc = subprocess.Popen(
        [sys.executable, "-m", "xencfg", *args],
        cwd=root,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=slave,
    )
    os.close(slave)
    seen = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
    proc.wait()
    os.close(master)
    text = seen.decode()
    assert "\r[" in text and "] " in text and "/3" in text  # "120/303"
    assert "1 file failed." in text


# -- killed runs ---------------------------------------------------------------
def _replaced_any(root, before: dict) -> bool:
    """Has any file been replaced (a new inode) since ``before``?"""
    for rel, ino in before.items():
        try:
            if (root / rel).stat().st_ino != ino:
                return True
        except FileNotFoundError:
            pass
    return False


def test_a_killed_run_leaves_every_file_old_or_new(tmp_path):
    root = tmp_path
    files = build_tree(root, n=600, seed=3)
    del files["etc/xen/README"]
    ref = root / "ref"
    began = time.monotonic()
    r = xencfg("apply", "--map", "map.txt", "--out-dir", ref, "etc/xen", cwd=root)
    whole = time.monotonic() - began  # how long a full run takes here
    assert r.returncode == 2
    rnd = random.Random(11)
    env = dict(os.environ, XENCFG_CACHE_DIR=str(root / "c"))
    killed = 0
    for attempt in range(10):
        if killed == 3:
            break
        before = {rel: (root / rel).stat().st_ino for rel in configs(files)}
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "xencfg",
                "apply",
                "--map",
                "map.txt",
                "--no-cache",
                "-j",
                "2",
                "etc/xen",
            ],
            cwd=root,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        # Kill mid-writes: once the run has replaced a file, a little later.
        while proc.poll() is None and not _replaced_any(root, before):
            time.sleep(0.002)
        time.sleep(whole * rnd.uniform(0.0, 0.2))
        if proc.poll() is None:
            killed += 1
            try:
                os.killpg(proc.pid, signal.SIGKILL)  # the workers too
            except ProcessLookupError:
                pass
        proc.wait()
        for rel in configs(files):
            data = (root / rel).read_bytes()
            new = (ref / rel.removeprefix("etc/xen/")).read_bytes()
            assert data in (files[rel], new), rel
            parse_bytes(data, rel)
        # Reset half of the files, so the next run has work to do.
        for rel in configs(files)[attempt % 2 :: 2]:
            (root / rel).write_bytes(files[rel])
    assert killed >= 1
    # Temp files may remain after a SIGKILL (between create and rename);
    # a normal run converts everything and leaves none of its own.
    for tmp in temp_files(root):
        tmp.unlink()
    r = xencfg("apply", "--map", "map.txt", "etc/xen", cwd=root)
    assert r.returncode == 2
    assert not temp_files(root)
    for rel in configs(files):
        assert (root / rel).read_bytes() == (
            ref / rel.removeprefix("etc/xen/")
        ).read_bytes()


# -- walking: links resolved as the file system does ---------------------------
def test_every_job_is_its_real_file_however_it_was_reached(tmp_path):
    from xencfg.walk import collect

    top = tmp_path / "xen"
    (top / "auto").mkdir(parents=True)
    (top / "sub").mkdir()
    (tmp_path / "elsewhere").mkdir()
    for p in (top / "a.cfg", top / "sub/b.cfg", tmp_path / "elsewhere/c.cfg"):
        p.write_text("name = 'x'\n")
    (top / "linked").symlink_to("../elsewhere")  # a folder link: not walked
    (top / "chain.cfg").symlink_to("a.cfg")  # a link to a link
    links = {
        "auto/a.cfg": "../a.cfg",
        "auto/b.cfg": "../sub/b.cfg",
        "auto/c.cfg": "../linked/c.cfg",
        "auto/chain.cfg": "../chain.cfg",
        "auto/abs.cfg": str(top / "sub/b.cfg"),
        "sub/up.cfg": "../a.cfg",
    }
    for rel, text in links.items():
        (top / rel).symlink_to(text)
    jobs, errors = collect([str(top)])
    assert errors == []
    for job in jobs:
        assert job.real == os.path.realpath(job.path), job.path
    reals = sorted(os.path.relpath(j.real, tmp_path) for j in jobs)
    # Each real file once, under a name that is not a link where there is one.
    assert reals == ["elsewhere/c.cfg", "xen/a.cfg", "xen/sub/b.cfg"]
    shown = sorted(os.path.relpath(j.path, top) for j in jobs)
    assert shown == ["a.cfg", "auto/c.cfg", "sub/b.cfg"]


@pytest.mark.parametrize("exclude", [[], ["*.sxp"]])
def test_links_to_folders_and_special_files_are_not_taken(tmp_path, exclude):
    from xencfg.walk import collect

    top = tmp_path / "xen"
    (top / "dir.cfg").mkdir(parents=True)  # a folder named like a config
    (top / "dir.cfg/in.cfg").write_text("name = 'in'\n")
    (top / "a.cfg").write_text("name = 'a'\n")
    (top / "folder.cfg").symlink_to("dir.cfg")  # a folder link named .cfg
    (top / "out.cfg").symlink_to(tmp_path)  # one leading out of the tree
    os.mkfifo(top / "pipe.cfg")  # never opened: it would block
    (top / ".hidden.cfg").write_text("name = 'h'\n")
    jobs, errors = collect([str(top)], exclude=exclude)
    assert errors == []
    assert sorted(os.path.relpath(j.path, top) for j in jobs) == [
        "a.cfg",
        "dir.cfg/in.cfg",
    ]


def test_a_temp_file_left_by_a_killed_run_is_not_reused(tmp_path, monkeypatch):
    from xencfg import write as batch
    from xencfg.write import TMP_PREFIX, TMP_SUFFIX, write_atomic

    monkeypatch.setattr(batch, "_TMP_COUNT", iter(range(1000)))

    path = tmp_path / "vm.cfg"
    path.write_bytes(b"old\n")
    path.chmod(0o640)
    # What a SIGKILLed run with the same process id could have left behind.
    for i in range(3):
        (tmp_path / f"{TMP_PREFIX}{os.getpid()}-{i}{TMP_SUFFIX}").write_bytes(b"x")
    before = sorted(p.name for p in tmp_path.iterdir())
    write_atomic(str(path), b"new\n")
    assert path.read_bytes() == b"new\n"
    assert path.stat().st_mode & 0o7777 == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_an_unreadable_folder_is_an_error_not_a_silent_skip(tmp_path, monkeypatch):
    from xencfg import walk as batch

    (tmp_path / "xen/locked").mkdir(parents=True)
    (tmp_path / "xen/a.cfg").write_text("name = 'a'\n")
    real_scandir = os.scandir

    def scandir(path):
        if str(path).endswith("locked"):
            raise PermissionError(13, "Permission denied")
        return real_scandir(path)

    monkeypatch.setattr(batch.os, "scandir", scandir)
    jobs, errors = batch.collect([str(tmp_path / "xen")])
    assert [os.path.basename(j.path) for j in jobs] == ["a.cfg"]
    assert errors == [
        f"{tmp_path / 'xen/locked'}: error: cannot read folder: Permission denied"
    ]


def test_out_dir_replaces_a_stale_link_instead_of_writing_through_it(tmp_path):
    src = tmp_path / "xen"
    src.mkdir()
    (src / "web.cfg").write_text("disk = [ 'phy:/dev/sda,xvda,w' ]\n")
    (tmp_path / "map.txt").write_text(MAP)
    victim = tmp_path / "victim.cfg"
    victim.write_text("precious\n")
    out = tmp_path / "out"
    out.mkdir()
    (out / "web.cfg").symlink_to(victim)  # left there by something else
    r = xencfg("apply", "--map", "map.txt", "--out-dir", "out", "xen", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert victim.read_text() == "precious\n"
    assert not (out / "web.cfg").is_symlink()
    assert (out / "web.cfg").read_text() == "disk = [ 'phy:/dev/sddlmaa,xvda,w' ]\n"


def test_out_dir_inside_the_source_through_a_link_is_refused_before_anything(tmp_path):
    src = tmp_path / "xen"
    (src / "a").mkdir(parents=True)
    (src / "a/web.cfg").write_text("disk = [ 'phy:/dev/sda,xvda,w' ]\n")
    (src / "b.cfg").write_text("disk = [ 'phy:/dev/sdb,xvda,w' ]\n")
    (tmp_path / "map.txt").write_text(MAP)
    out = tmp_path / "out"
    out.mkdir()
    (out / "a").symlink_to(src / "a")  # DIR reaches back into the tree
    before = snapshot(src)
    r = xencfg("apply", "--map", "map.txt", "--out-dir", "out", "xen", cwd=tmp_path)
    assert r.returncode == 2
    assert "would overwrite the source" in r.stderr
    assert snapshot(src) == before and not (out / "b.cfg").exists()
