"""The value budget: more than MAX_VALUES values in one file of any format is
a located error (exit 2), found before any node is built."""

from __future__ import annotations

import pytest

from xencfg.cli import main
from xencfg.document import ParseError
from xencfg.formats import xljson
from xencfg.formats.detect import parse_text
from xencfg.formats.limits import MAX_VALUES, MAX_XL_VALUES, MAX_XM_VALUES, TooMany

N = MAX_VALUES + 1  # one value too many
X = MAX_XL_VALUES + 1

# (format, budget, text of more values than that, line and column of the
# first value past the budget; names, setting names and opening brackets count)
CASES = [
    (
        "xl numbers",
        MAX_XL_VALUES,
        "x = [" + "1," * X + "1]\n",
        (1, 2 * MAX_XL_VALUES + 2),
    ),
    (
        "xl strings",
        MAX_XL_VALUES,
        "x = [" + "'a'," * X + "'a']\n",
        (1, 4 * MAX_XL_VALUES - 2),
    ),
    ("xl settings", MAX_XL_VALUES, "a=1\n" * X, (MAX_XL_VALUES // 2 + 1, 1)),
    ("sxp atoms", MAX_VALUES, "(domain " + "a " * N + ")\n", (1, 2 * MAX_VALUES + 5)),
]


@pytest.fixture(autouse=True)
def _private_cache(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("XENCFG_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))


@pytest.mark.parametrize("name,budget,text,where", CASES, ids=[c[0] for c in CASES])
def test_too_many_values_is_located(name, budget, text, where):
    with pytest.raises(TooMany) as e:
        parse_text(text)
    assert f"more than {budget:,} values" in e.value.message
    assert (e.value.line, e.value.col) == where


XM = MAX_XM_VALUES + 1


@pytest.mark.parametrize(
    "text,where",
    [
        ("import os\nx = [" + "1," * XM + "1]\n", (2, 2 * MAX_XM_VALUES - 2)),
        ("import os\n" + "a\n" * XM, (MAX_XM_VALUES, 1)),
        ('print "py2"\nx = [' + "1," * XM + "1]\n", (2, 2 * MAX_XM_VALUES - 2)),
    ],
    ids=["numbers", "names", "python2"],
)
def test_xm_has_its_own_smaller_budget(text, where):
    # CPython's ast costs about 1 KB a value, libcst more: xm files, written
    # by hand, get a budget of their own.
    with pytest.raises(TooMany) as e:
        parse_text(text)
    assert f"more than {MAX_XM_VALUES:,} values" in e.value.message
    assert (e.value.line, e.value.col) == where


def test_json_too_many_values():
    text = "[" + "1," * N + "1]"
    with pytest.raises(TooMany) as e:
        xljson.parse(text)
    assert (e.value.line, e.value.col) == (1, 2 * MAX_VALUES)


def test_budget_is_a_parse_error_with_exit_2(tmp_path, capfd):
    cfg = tmp_path / "vm.cfg"
    cfg.write_text("x = [" + "1," * X + "1]\n")
    code = main(["parse", str(cfg)])
    _, err = capfd.readouterr()
    assert code == 2
    assert f"{cfg}:1:{2 * MAX_XL_VALUES + 2}: error: more than" in err


def test_just_under_the_budget_parses():
    text = "x = [" + "1," * (MAX_XL_VALUES - 10) + "1]\n"
    assert len(parse_text(text).body[0].value.items) == MAX_XL_VALUES - 9
    assert issubclass(TooMany, ParseError)
