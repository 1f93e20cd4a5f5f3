"""Deep, long and malformed inputs of every format through every command.

Whatever the input, every command ends with exit 0, 1 or 2, and an exit 2
comes with a located ``PATH:LINE[:COL]: error:`` message: never exit 123,
never a traceback.  A fixed list of nasty cases, plus a bounded number of
generated ones (hypothesis), run in-process through ``xencfg.cli.main``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import SAMPLES
from xencfg.cli import main

MAP_TEXT = (SAMPLES / "golden" / "dlmcfgmgr-v.txt").read_text()

NASTY_CONFIGS = {
    "empty": b"",
    "bom only": b"\xef\xbb\xbf",
    "open bracket": b"disk = [",
    "open paren": b"(",
    "close paren": b")",
    "close bracket": b"disk = ]\n",
    "unterminated xl string": b"disk = ['phy:/dev/sda,xvda,w\n",
    "unterminated sxp string": b'(domain (name "vm\n',
    "nul byte": b"name = 'a\x00b'\ndisk = ['phy:/dev/sda,xvda,w']\n",
    "invalid utf-8": b"name = '\xff\xfe'\ndisk = ['phy:/dev/sda,xvda,w']\n",
    "lone cr": b"name = 'a'\rdisk = ['phy:/dev/sda,xvda,w']\r",
    "python 2": b"print 'hi'\ndisk = ['phy:/dev/sda,xvda,w']\n",
    "tuple first": b"(a, b) = ('x', 'y')\ndisk = ['phy:/dev/sda,xvda,w']\n",
    "sxp and junk": b"(domain (name x))\n= 1\n",
    "deep xl": b"disk = " + b"[" * 3000 + b"]" * 3000 + b"\n",
    "deep xl unclosed": b"disk = " + b"[" * 5000,
    "deep sxp": b"(domain " + b"(" * 3000 + b")" * 3000 + b")\n",
    "deep sxp unclosed": b"(" * 5000,
    "deep xm": b"import os\ndisk = " + b"(" * 3000 + b")" * 3000 + b"\n",
    "deep xm unary": b"import os\ndisk = " + b"-" * 5000 + b"1\n",
    "deep xm attribute": b"import os\ndisk = a" + b".b" * 5000 + b"\n",
    "deep xm sum": b"import os\ndisk = 'a'" + b" + 'b'" * 2000 + b"\n",
    "long xl string": b'disk = ["phy:/dev/sda,' + b"a" * 100_000 + b'"]\n',
    "long xl escapes": b'name = "' + b"\\t" * 50_000 + b'"\n',
    "long sxp atom": b"(domain (name " + b"a" * 100_000 + b"))\n",
    "long comment": b"# " + b"x" * 100_000 + b"\nname = 'a'\n",
    "many lists": b"(domain " + b"()" * 20_000 + b")\n",
    "bad escape sxp": b'(domain (name "\\x"))\n',
    "bad octal sxp": b'(domain (name "\\777"))\n',
    "bad disk spec": b"disk = ['a,b,c,d,e,f,g,h']\n",
    "target twice": b"disk = ['/dev/sda,raw,xvda,w,target=/dev/sdb']\n",
}

NASTY_MAPS = {
    "empty map": b"",
    "garbage map": b"hello world\n",
    "paren map": b"(" * 5000,
    "long map line": b"/dev/sda " + b"a" * 100_000 + b"\n",
    "invalid utf-8 map": b"\xff\xfe /dev/sda\n",
    "half plain": b"/dev/sda\n",
}


@pytest.fixture(autouse=True)
def _private_cache(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("XENCFG_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))


def _commands(cfg: str, map_path: str, dump: str) -> list[list[str]]:
    return [
        ["parse", cfg],
        ["parse", "--json", cfg],
        ["roundtrip", cfg],
        ["check", "--strict", "-j", "1", "--no-cache", cfg],
        ["diff", "--map", map_path, "-j", "1", "--no-cache", cfg],
        ["apply", "--map", map_path, "-j", "1", "--no-cache", cfg],
        ["plan", "--map", map_path, "--running", dump, cfg],
    ]


def _located(text: str, where: str) -> bool:
    """A ``PATH[:LINE[:COL]]: error: ...`` line about a file under ``where``."""
    return any(
        line.startswith(where) and ": error: " in line for line in text.splitlines()
    )


def _assert_sane(argv, capfd) -> None:
    try:
        code = main(argv)
    except SystemExit as e:  # argparse usage errors
        code = e.code
    out, err = capfd.readouterr()
    assert code in (0, 1, 2), (argv, code, err[-500:])
    assert "Traceback" not in err and "internal error" not in err, (argv, err[-500:])
    if code == 2:
        where = str(Path(argv[-1]).parent)
        assert _located(err, where) or _located(out, where), (argv, err[-500:])


def _run_all(tmp_path, capfd, config: bytes, devmap: bytes, dump: bytes) -> None:
    cfg = tmp_path / "vm.cfg"
    cfg.write_bytes(config)
    map_path = tmp_path / "map.txt"
    map_path.write_bytes(devmap)
    dump_path = tmp_path / "dump.sxp"
    dump_path.write_bytes(dump)
    for argv in _commands(str(cfg), str(map_path), str(dump_path)):
        if argv[0] == "apply":
            cfg.write_bytes(config)  # apply works on a fresh copy each time
        _assert_sane(argv, capfd)


GOOD_DUMP = b"(domain (name vm) (device (vbd (uname phy:/dev/sda) (dev xvda:disk))))\n"


@pytest.mark.parametrize("name", sorted(NASTY_CONFIGS))
def test_nasty_configs(name, tmp_path, capfd):
    text = NASTY_CONFIGS[name]
    _run_all(tmp_path, capfd, text, MAP_TEXT.encode(), GOOD_DUMP)
    # The same bytes as the running-state dump of plan.
    good = b"name = 'vm'\ndisk = ['phy:/dev/sda,xvda,w']\n"
    cfg = tmp_path / "good.cfg"
    cfg.write_bytes(good)
    dump = tmp_path / "bad-dump.sxp"
    dump.write_bytes(text)
    map_path = str(tmp_path / "map.txt")
    _assert_sane(["plan", "--map", map_path, "--running", str(dump), str(cfg)], capfd)


@pytest.mark.parametrize("name", sorted(NASTY_MAPS))
def test_nasty_maps(name, tmp_path, capfd):
    good = b"name = 'vm'\ndisk = ['phy:/dev/sda,xvda,w']\n"
    _run_all(tmp_path, capfd, good, NASTY_MAPS[name], GOOD_DUMP)
    devmap = str(tmp_path / "map.txt")
    for argv in (["map", devmap], ["map", "--json", devmap]):
        _assert_sane(argv, capfd)


# Characters that matter to some reader, and a few that do not.
ALPHABET = "[](){}'\"=+,;#:\\\n\t .-_/0123456789abdehilmnpqrsvwx\x00\ufeff\u00e9"


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    config=st.text(ALPHABET, max_size=120),
    prefix=st.sampled_from(
        ["", "(", "(domain ", "disk = [", "import os\n", "name = 'x'\n", "\ufeff"]
    ),
)
def test_generated_configs(config, prefix, tmp_path, capfd):
    data = (prefix + config).encode("utf-8", "surrogatepass")
    _run_all(tmp_path, capfd, data, MAP_TEXT.encode(), data)
