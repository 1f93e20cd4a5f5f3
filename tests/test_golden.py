"""Golden tests over samples/golden/ (see samples/golden/README).

For each CASE (``CASE.cfg`` or ``CASE.sxp`` with ``CASE.*.expected``):
``apply`` gives exactly the expected bytes, ``check`` prints exactly the
``.check`` lines (and the ``.warnings`` lines on stderr), and the ``diff``
applies with ``git apply`` and with ``patch -p1`` to the same bytes.
"""

from __future__ import annotations

import shutil
import subprocess

import pytest

from conftest import SAMPLES
from xencfg.cli import main

GOLDEN = SAMPLES / "golden"
MAP = GOLDEN / "dlmcfgmgr-v.txt"
CASES = sorted(
    p.name
    for p in GOLDEN.iterdir()
    if p.suffix in (".cfg", ".sxp") and not p.name.startswith(".")
)


@pytest.fixture(autouse=True)
def _private_cache(tmp_path_factory, monkeypatch):
    """Never read or write the user's ~/.cache/xencfg from a test."""
    monkeypatch.setenv("XENCFG_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))


def _read(name: str) -> bytes:
    return (GOLDEN / name).read_bytes()


def _lines(name: str) -> list[str]:
    p = GOLDEN / name
    return p.read_text().splitlines() if p.exists() else []


@pytest.fixture
def work(tmp_path, monkeypatch):
    """A scratch folder holding a copy of the map, as the current directory."""
    shutil.copy(MAP, tmp_path / MAP.name)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_layout():
    assert len(CASES) >= 10
    for case in CASES:
        assert (GOLDEN / f"{case}.expected").is_file(), case
    # Every kind of input the issue names is covered by some case.
    names = set(CASES)
    for needed in (
        "same-name.cfg",
        "device-names.cfg",
        "commented.cfg",
        "keyvalue.cfg",
        "shared-wbang.cfg",
        "crlf.cfg",
        "crlf-last.cfg",
        "xm-python.cfg",
        "xm-list-l.sxp",
        "second-path.cfg",
        "migrated.cfg",
        "odd-bytes.cfg",
        "spellings.cfg",
        "driver-domain.sxp",
    ):
        assert needed in names
    assert b"\r\n" in _read("crlf.cfg") and not _read("crlf.cfg").endswith(b"\n")
    # The map has a multi-path LU: a continuation row with a second path.
    assert any(
        line.split()[0] == "/dev/sde" for line in _lines("dlmcfgmgr-v.txt") if line
    )


@pytest.mark.parametrize("case", CASES)
def test_apply(case, work, capsys):
    (work / case).write_bytes(_read(case))
    expected = _read(f"{case}.expected")
    assert main(["apply", "-q", "--map", MAP.name, case]) == 0
    assert (work / case).read_bytes() == expected
    # Idempotent: a second run changes nothing and check is clean.
    assert main(["apply", "-q", "--map", MAP.name, case]) == 0
    assert (work / case).read_bytes() == expected
    capsys.readouterr()
    assert main(["check", "--map", MAP.name, case]) == 0
    assert "would migrate" not in capsys.readouterr().out


@pytest.mark.parametrize("case", CASES)
def test_check(case, work, capsys):
    original = _read(case)
    (work / case).write_bytes(original)
    code = main(["check", "--map", MAP.name, case])
    out, err = capsys.readouterr()
    changes = original != _read(f"{case}.expected")
    assert code == (1 if changes else 0)
    assert out.splitlines() == _lines(f"{case}.check")
    assert [line for line in err.splitlines() if line.startswith(case + ":")] == _lines(
        f"{case}.warnings"
    )
    assert (work / case).read_bytes() == original  # check never writes


@pytest.mark.parametrize("case", CASES)
def test_diff_applies_with_git_and_patch(case, work, capsysbinary):
    original = _read(case)
    expected = _read(f"{case}.expected")
    (work / case).write_bytes(original)
    code = main(["diff", "--check", "--map", MAP.name, case])
    out = capsysbinary.readouterr().out  # bytes: a patch keeps non-UTF-8 bytes
    assert code == (1 if original != expected else 0)
    if original == expected:
        assert out == b""
        return
    assert out.startswith(f"diff --git a/{case} b/{case}\n--- a/{case}\n".encode())
    patch_file = work / "change.patch"
    patch_file.write_bytes(out)

    subprocess.run(
        ["git", "-c", "core.autocrlf=false", "apply", str(patch_file)],
        cwd=work,
        check=True,
        capture_output=True,
    )
    assert (work / case).read_bytes() == expected

    (work / case).write_bytes(original)
    subprocess.run(
        ["patch", "-p1", "--binary", "-s", "-i", str(patch_file)],
        cwd=work,
        check=True,
        capture_output=True,
    )
    assert (work / case).read_bytes() == expected

    # and it reverses cleanly
    subprocess.run(
        ["git", "apply", "-R", str(patch_file)],
        cwd=work,
        check=True,
        capture_output=True,
    )
    assert (work / case).read_bytes() == original


def test_whole_folder(tmp_path, monkeypatch, capsysbinary):
    """One run over a copy of the folder: the walker takes the inputs only
    (never the .expected/.check files or the map) and converts them all."""
    tree = tmp_path / "golden"
    shutil.copytree(GOLDEN, tree)
    monkeypatch.chdir(tmp_path)
    assert main(["diff", "--check", "--map", "golden/dlmcfgmgr-v.txt", "golden"]) == 1
    patch = capsysbinary.readouterr().out
    headers = [
        line.decode() for line in patch.split(b"\n") if line.startswith(b"diff --git")
    ]
    changed = [
        c for c in CASES if _read(c) != _read(f"{c}.expected")
    ]  # every changed case, once, in walk order
    assert headers == [f"diff --git a/golden/{c} b/golden/{c}" for c in changed]
    (tmp_path / "all.patch").write_bytes(patch)
    subprocess.run(
        ["git", "apply", "all.patch"], cwd=tmp_path, check=True, capture_output=True
    )
    for case in CASES:
        assert (tree / case).read_bytes() == _read(f"{case}.expected"), case
    # apply over the original folder gives the same bytes, and leaves the rest
    shutil.rmtree(tree)
    shutil.copytree(GOLDEN, tree)
    assert (
        main(["apply", "-q", "-j", "2", "--map", "golden/dlmcfgmgr-v.txt", "golden"])
        == 0
    )
    for p in GOLDEN.iterdir():
        if p.name in CASES:
            assert (tree / p.name).read_bytes() == _read(f"{p.name}.expected")
        else:
            assert (tree / p.name).read_bytes() == p.read_bytes(), p.name


def test_check_json_records(work, capsys):
    case = "xm-list-l.sxp"
    (work / case).write_bytes(_read(case))
    assert main(["check", "--report", "json", "--map", MAP.name, case]) == 1
    import json

    report = json.loads(capsys.readouterr().out)
    recs = [
        (r["line"], r["col"], r["kind"], r["old"], r["new"], r["domain"])
        for r in report["findings"]
    ]
    assert recs == [
        (20, 20, "migrate", "phy:/dev/sda", "phy:/dev/sddlmaa", "web01"),
        (29, 20, "unmapped", None, None, "web01"),
        (37, 20, "ok", None, None, "web01"),
        (49, 20, "ok", None, None, "db01"),
        (56, 20, "migrate", "phy:/dev/sdf2", "phy:/dev/sddlmab2", "db01"),
        (61, 37, "migrate", "phy:sde", "phy:sddlmaa", "db01"),
    ]
    assert all(r["path"] == case for r in report["findings"])
    assert report["summary"] == {"changed": 1, "unchanged": 0, "failed": 0}
