"""The result cache is keyed on xencfg's own code, not only its version: a
file that passed under older code is read again after the code changes."""

from __future__ import annotations

import os

import pytest

from xencfg import cache
from xencfg.cache import Cache, key


@pytest.fixture
def package(tmp_path, monkeypatch):
    pkg = tmp_path / "pkg"
    (pkg / "formats").mkdir(parents=True)
    (pkg / "__init__.py").write_text("__version__ = '1'\n")
    (pkg / "formats" / "xl.py").write_text("X = 1\n")
    (pkg / "notes.txt").write_text("not code\n")
    grammars = tmp_path / "grammars"
    grammars.mkdir()
    (grammars / "xl.lark").write_text("start: /x/\n")
    monkeypatch.setattr(cache, "CODE_PLACES", (str(pkg), str(grammars)))
    cache.code_id.cache_clear()
    yield tmp_path
    cache.code_id.cache_clear()


def fresh_key() -> str:
    cache.code_id.cache_clear()
    return key(None, "auto", False)


def test_a_code_change_invalidates_the_cache(package, tmp_path):
    before = fresh_key()
    assert fresh_key() == before  # stable while nothing changes
    store = Cache(before, str(tmp_path / "c"))
    store.add("0" * 64)
    store.save()
    assert Cache(before, str(tmp_path / "c")).load().seen == {"0" * 64: ""}

    (package / "pkg" / "formats" / "xl.py").write_text("X = 2\n")  # same size
    st = os.stat(package / "pkg" / "formats" / "xl.py")
    os.utime(package / "pkg" / "formats" / "xl.py", ns=(st.st_atime_ns, 12345))
    after = fresh_key()
    assert after != before
    assert Cache(after, str(tmp_path / "c")).load().seen == {}


@pytest.mark.parametrize(
    "change",
    [
        lambda p: (p / "pkg" / "formats" / "xl.py").write_text("X = 10\n"),
        lambda p: (p / "pkg" / "formats" / "new.py").write_text(""),
        lambda p: (p / "pkg" / "formats" / "xl.py").unlink(),
        lambda p: (p / "grammars" / "xl.lark").write_text("start: /y+/\n"),
    ],
)
def test_every_kind_of_code_change_counts(package, change):
    before = fresh_key()
    change(package)
    assert fresh_key() != before


def test_other_files_do_not_count(package):
    before = fresh_key()
    (package / "pkg" / "notes.txt").write_text("changed, longer\n")
    (package / "pkg" / "__pycache__").mkdir()
    (package / "pkg" / "__pycache__" / "x.cpython-311.pyc").write_bytes(b"\0")
    assert fresh_key() == before


def test_the_real_package_is_covered():
    cache.code_id.cache_clear()
    places = cache.CODE_PLACES
    assert os.path.isfile(os.path.join(places[0], "cache.py"))
    assert cache.code_id() == cache.code_id()
