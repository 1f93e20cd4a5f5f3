"""The store of compiled patterns: a pattern from the store is the pattern
re.compile gives (same program, groups and flags), and a store that is
damaged, another build's or refused by the engine changes nothing."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from conftest import SAMPLES
from xencfg import rxstore
from xencfg.formats import xl, sxp

PATTERNS = [
    (r"^/dev/sd(?!dlm)(?P<disk>[a-z]{1,4})(?P<part>(?:[1-9]|1[0-5]))?$", 0),
    (r"^\s*HDevName\s+Management\b", re.IGNORECASE),
    (r"(?<!\w)[A-Za-z_][A-Za-z0-9_]*\Z", 0),
    (r"[\\\x00-\x1f\x7f\ud800-\udfff]", 0),
    (r"(?x) a  b # comment", 0),
    (r"(?s:(.))|é|\N{EM DASH}", 0),
    ("", 0),
]
SAMPLES_TEXT = ["/dev/sdb12", "/dev/sddlmaa", "hdevname  management x", "é—", "a\nb"]


@pytest.fixture
def fresh(tmp_path, monkeypatch):
    """An empty store in a folder of its own."""
    monkeypatch.setenv("XENCFG_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(rxstore, "_STORE", None)
    monkeypatch.setattr(rxstore, "_ADDED", [])
    return tmp_path


def _reset(monkeypatch):
    monkeypatch.setattr(rxstore, "_STORE", None)
    monkeypatch.setattr(rxstore, "_ADDED", [])


def _same(rx: re.Pattern, pattern: str, flags: int) -> None:
    want = re.compile(pattern, flags)
    assert rx == want  # (the engine compares the programs too)
    assert (rx.pattern, rx.flags, rx.groups) == (want.pattern, want.flags, want.groups)
    assert rx.groupindex == want.groupindex
    for text in SAMPLES_TEXT:
        got, exp = rx.search(text), want.search(text)
        assert (got and (got.span(), got.groups())) == (
            exp and (exp.span(), exp.groups())
        )


def _patterns():
    return PATTERNS + [(xl._scanner().pattern, 0), (sxp._scanner().pattern, 0)]


def test_a_stored_pattern_is_the_one_re_compiles(fresh, monkeypatch):
    for pattern, flags in _patterns():
        _same(rxstore.compile(pattern, flags), pattern, flags)
    rxstore.save()
    assert os.path.exists(rxstore.store_path())
    _reset(monkeypatch)
    for pattern, flags in _patterns():
        _same(rxstore.compile(pattern, flags), pattern, flags)
    assert rxstore._ADDED == []  # every one came from the store


def _saved(fresh) -> bytes:
    for pattern, flags in PATTERNS:
        rxstore.compile(pattern, flags)
    rxstore.save()
    with open(rxstore.store_path(), "rb") as fh:
        return fh.read()


def _flip(data: bytes, at: int) -> bytes:
    return data[:at] + bytes([data[at] ^ 0x01]) + data[at + 1 :]


@pytest.mark.parametrize(
    "damage",
    [
        lambda d: d[: len(d) // 2],  # cut short
        lambda d: d[:-3],
        lambda d: _flip(d, len(d) - 5),  # one bit of a program
        lambda d: _flip(d, len(d) // 2),
        lambda d: b"3.0.0 (another build)" + d[d.index(b"\t") :],
        lambda d: b"",
        lambda d: os.urandom(600),
        lambda d: d.replace(b"\n", b"\r\n"),
    ],
)
def test_a_damaged_store_changes_nothing(fresh, monkeypatch, damage):
    data = _saved(fresh)
    with open(rxstore.store_path(), "wb") as fh:
        fh.write(damage(data))
    _reset(monkeypatch)
    for pattern, flags in PATTERNS:
        _same(rxstore.compile(pattern, flags), pattern, flags)


def test_a_program_the_engine_refuses_is_compiled_again(fresh, monkeypatch):
    _saved(fresh)
    _reset(monkeypatch)
    real = rxstore._sre.compile
    calls = []

    def refuse_stored(pattern, flags, code, *rest):
        calls.append(pattern)
        if not isinstance(code, list) or len(calls) == 1:
            raise RuntimeError("invalid SRE code")
        return real(pattern, flags, code, *rest)

    monkeypatch.setattr(rxstore._sre, "compile", refuse_stored)
    for pattern, flags in PATTERNS:
        _same(rxstore.compile(pattern, flags), pattern, flags)


def test_the_stored_programs_are_re_s_own(fresh):
    """What the store holds for every pattern a batch compiles is what
    re's own parser and code generator make of it."""
    r = subprocess.run(
        [sys.executable, "-m", "xencfg", "check", "--map"]
        + [str(SAMPLES / "maps" / "dlmcfgmgr-v.txt"), str(SAMPLES)],
        env=dict(os.environ, XENCFG_CACHE_DIR=str(fresh)),
        capture_output=True,
        text=True,
    )
    assert r.returncode in (0, 1), r.stderr
    with open(rxstore.store_path(), "rb") as fh:
        store = rxstore.decode(fh.read())
    assert len(store) >= 10
    for (pattern, flags), entry in store.items():
        entry = rxstore._read_entry(entry)
        assert rxstore._engine(pattern, entry) == re.compile(pattern, flags)


def test_no_cache_writes_no_store(fresh):
    cfg = fresh / "a.cfg"
    cfg.write_text("name = 'a'\ndisk = [ 'phy:/dev/sda,xvda,w' ]\n")
    run = [sys.executable, "-m", "xencfg", "check", "--no-cache", str(cfg)]
    env = dict(os.environ, XENCFG_CACHE_DIR=str(fresh / "c"))
    r = subprocess.run(run, env=env, capture_output=True, text=True)
    assert r.returncode == 1, r.stderr
    assert not (fresh / "c").exists()


def test_a_file_too_big_to_be_a_store_is_not_read(fresh, monkeypatch):
    _saved(fresh)
    with open(rxstore.store_path(), "ab") as fh:
        fh.truncate(rxstore._MAX_BYTES + 10)
    _reset(monkeypatch)
    for pattern, flags in PATTERNS:
        _same(rxstore.compile(pattern, flags), pattern, flags)
    assert len(rxstore._ADDED) == len(PATTERNS)  # compiled, not read
