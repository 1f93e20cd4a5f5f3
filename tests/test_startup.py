"""What a single-file run loads: only what that file needs.

A pre-commit hook starts xencfg once per commit on a file or two, so the
start-up is most of its time; Lark's tables, libcst and the process pool
are left for the files (and runs) that need them.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from xencfg import grammar_terms
from xencfg.grammar import grammar_text
from xencfg.diskspec import DiskSpecError, parse_disk
from xencfg.formats import sxp, xl

XL = "name = 'web01'\ndisk = [ 'phy:/dev/sda,xvda,w' ]\n"
XM = "name = 'db01'\ndisk = []\ndisk.append('phy:/dev/sdb,xvdb,w')\n"
SXP = "(domain (name x) (device (vbd (uname phy:/dev/sdc) (dev xvdc))))\n"


def run_main(tmp_path, argv, bare=False) -> subprocess.CompletedProcess:
    """``main(argv)`` in a fresh interpreter in ``tmp_path``; its stdout ends
    with the names of every module it had loaded, on one line.  ``bare``:
    without ``site`` (whose start-up hooks, an editable install's among
    them, load modules of their own), xencfg from this checkout."""
    code = (
        "import sys\nfrom xencfg.cli import main\n"
        f"code = main({list(argv)!r})\n"
        "print(' '.join(sorted(sys.modules)))\n"
        "sys.exit(code)\n"
    )
    env = {"XENCFG_CACHE_DIR": str(tmp_path / "cache"), "PATH": "/usr/bin:/bin"}
    if bare:
        env["PYTHONPATH"] = str(Path(__file__).resolve().parent.parent)
    return subprocess.run(
        [sys.executable, *(["-S"] if bare else []), "-c", code],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=env,
    )


def loaded_after(tmp_path, *argv: str) -> set[str]:
    for name, text in (("a.cfg", XL), ("b.cfg", XM), ("c.sxp", SXP)):
        (tmp_path / name).write_text(text)
    run = run_main(tmp_path, argv)
    assert run.returncode == 1, run.stderr  # the policy finds /dev/sd*
    assert "uses the SCSI device /dev/sda directly" in run.stdout
    return set(run.stdout.split("\n")[-2].split())


def test_single_file_check_loads_neither_lark_nor_libcst(tmp_path):
    mods = loaded_after(tmp_path, "check", "-j", "1", "a.cfg", "b.cfg", "c.sxp")
    for heavy in ("lark", "libcst", "concurrent.futures.process"):
        assert heavy not in mods, heavy
    assert "xencfg.plan" not in mods


MAP = "HDevName Management Device Host Channel Target Lun\n" + "".join(
    f"/dev/sddlma{c} configured /dev/sd{c} 1 0 0 {i}\n" for i, c in enumerate("abcd")
)
# What a check of a file or two never needs: the standard library's heavy
# modules (dataclasses imports inspect; argparse its translations and
# shutil), the other map formats, the patch and write paths, the pool.
NOT_FOR_A_CHECK = (
    "dataclasses",
    "inspect",
    "typing",
    "argparse",
    "gettext",
    "shutil",
    "json",
    "hashlib",
    "difflib",
    "threading",
    "concurrent.futures",
    "lark",
    "libcst",
    "xencfg.maps.dlnkmgr",
    "xencfg.maps.multipath",
    "xencfg.maps.powermt",
    "xencfg.maps.plain",
    "xencfg.diffs",
    "xencfg.write",
    "xencfg.plan",
    "xencfg.formats.xm_cst",
    # (small, but each costs a pre-commit run a fraction of a millisecond:
    # importlib and warnings only where site has not loaded them already)
    "array",
    "zlib",
    "importlib",
    "warnings",
)


def modules_after(tmp_path, *argv: str, bare=True) -> tuple[set[str], int]:
    (tmp_path / "map.txt").write_text(MAP)
    for name, text in (("a.cfg", XL), ("b.cfg", XM)):
        (tmp_path / name).write_text(text)
    run = run_main(tmp_path, argv, bare)
    assert run.returncode in (0, 1), run.stderr
    return set(run.stdout.split("\n")[-2].split()), run.stdout


def test_a_pre_commit_check_imports_only_what_it_uses(tmp_path):
    argv = ("check", "-j", "1", "--map", "map.txt", "a.cfg", "b.cfg")
    # The first run keeps the patterns it compiled (rxstore): it writes.
    modules_after(tmp_path, *argv)
    (store,) = (tmp_path / "cache").rglob("re.*.bin")
    before = store.stat().st_mtime_ns
    mods, out = modules_after(tmp_path, *argv)
    assert store.stat().st_mtime_ns == before  # (nothing new to keep)
    assert "would migrate phy:/dev/sda -> phy:/dev/sddlmaa" in out
    assert "would migrate phy:/dev/sdb -> phy:/dev/sddlmab" in out
    assert sorted(m for m in NOT_FOR_A_CHECK if m in mods) == []
    # (the modules named are real: other commands do import them)
    mods, out = modules_after(tmp_path, "diff", "--map", "map.txt", "a.cfg")
    assert {"difflib", "xencfg.diffs"} <= mods and "+++ b/a.cfg" in out
    mods, _ = modules_after(tmp_path, "check", "--map=map.txt", "--no-c", "a.cfg")
    assert "argparse" in mods  # an abbreviation: argparse reads the line


def test_the_plain_value_classes_behave_as_the_dataclasses_did():
    import copy
    import pickle

    from xencfg.document import Edit, Str
    from xencfg.diskspec import Field
    from xencfg.pipeline import FileResult, Options
    from xencfg.transforms.findings import Finding

    edit = Edit(1, 4, "'x'")
    assert edit == Edit(1, 4, "'x'") != Edit(1, 4, "'y'")
    assert {edit, Edit(1, 4, "'x'")} == {edit}  # immutable, so hashable
    with pytest.raises(AttributeError):
        edit.start = 2
    assert repr(edit) == "Edit(start=1, end=4, text=\"'x'\")"
    field = Field("path", "/dev/sda", 4, 12)
    for value in (edit, field, Finding(1, 2, "migrate", "change", "m", "a", "b")):
        assert pickle.loads(pickle.dumps(value)) == value == copy.deepcopy(value)
    res = FileResult("a", "a", changed=True)
    assert pickle.loads(pickle.dumps(res)) == res and res.findings == []
    assert FileResult("a", "a") != res and Options().cache == {}
    with pytest.raises(TypeError):
        hash(res)  # mutable: unhashable, as a dataclass with eq
    node = Str(0, 3, "abc", "'")
    assert node != Str(0, 3, "abc", "'")  # tree nodes compare by identity
    assert repr(node) == "Str(start=0, end=3, value='abc', quote=\"'\")"


def test_the_cache_digest_is_sha256():
    import hashlib

    from xencfg.cache import digest

    for data in (b"", b"x", bytes(range(256)) * 999):
        assert digest(data) == hashlib.sha256(data).hexdigest()


def test_python2_file_still_loads_libcst(tmp_path):
    (tmp_path / "old.cfg").write_text("print 'starting'\ndisk = ['phy:/dev/sda,a,w']\n")
    mods = loaded_after(tmp_path, "check", "old.cfg", "a.cfg")
    assert "libcst" in mods


@pytest.mark.parametrize(
    "text, lark",
    [
        (lambda: xl._grammar(), xl._parser),
        (lambda: grammar_text("sxp.lark"), sxp._lark),
    ],
)
def test_stored_terminals_are_the_grammars(text, lark):
    stored = grammar_terms.terminals(text())
    assert stored is not None, "run: python -m xencfg.grammar_terms"
    assert stored == grammar_terms.derive(lark())


def test_both_spellings_of_xl_are_stored():
    for possessive in (False, True):
        assert grammar_terms.terminals(xl._grammar(possessive)) is not None


def test_a_changed_grammar_is_not_read_from_the_table():
    changed = grammar_text("xl.lark") + "\n// changed\n"
    assert grammar_terms.terminals(changed) is None


def test_scanners_match_without_the_table(monkeypatch):
    """The scanners built from Lark (a stale table) equal the stored ones."""
    fast = (xl._scanner(), sxp._scanner())
    monkeypatch.setattr(grammar_terms, "terminals", lambda text: None)
    monkeypatch.setattr(xl, "terminals", lambda text: None)
    monkeypatch.setattr(sxp, "terminals", lambda text: None)
    xl._scanner.cache_clear()
    sxp._scanner.cache_clear()
    try:
        slow = (xl._scanner(), sxp._scanner())
        assert fast[0].pattern == slow[0].pattern
        assert fast[1].pattern == slow[1].pattern
    finally:
        xl._scanner.cache_clear()
        sxp._scanner.cache_clear()


def test_a_disk_spec_is_parsed_once_and_errors_repeat():
    a = parse_disk("phy:/dev/sda,xvda,w")
    assert parse_disk("phy:/dev/sda,xvda,w") is a
    assert a.path.text == "/dev/sda" and a.access == "w"
    for _ in range(2):
        with pytest.raises(DiskSpecError) as err:
            parse_disk("/dev/sda,target=/dev/sdb")
        assert "target respecified" in str(err.value)
