"""Hostile and ambiguous input: format detection that cannot be fooled, and
nesting limits, seen through the command line as a user would."""

from __future__ import annotations

import pytest

from conftest import SAMPLES, corpus_files
from xencfg.cli import main
from xencfg.document import ParseError
from xencfg.formats.detect import parse_text
from xencfg.formats.limits import MAX_DEPTH

MAP_TEXT = (SAMPLES / "golden" / "dlmcfgmgr-v.txt").read_text()


@pytest.fixture(autouse=True)
def _private_cache(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("XENCFG_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))


def run(capfd, *argv):
    code = main(list(argv))
    out, err = capfd.readouterr()
    return code, out, err


# -- detection ------------------------------------------------------------------

TUPLE_FIRST = '(a, b) = ("x", "y")\ndisk = [\'phy:/dev/sda,xvda,w\']\n'


def test_python_starting_with_a_paren_is_read_as_python(tmp_path, capfd):
    cfg = tmp_path / "vm.cfg"
    cfg.write_text(TUPLE_FIRST)
    assert parse_text(TUPLE_FIRST).fmt == "xm"
    code, out, _ = run(capfd, "check", "--strict", str(cfg))
    assert code == 1
    assert f"{cfg}:2:9: error: phy:/dev/sda uses the SCSI device" in out


def test_paren_first_python_is_migrated(tmp_path, capfd):
    (tmp_path / "map.txt").write_text(MAP_TEXT)
    cfg = tmp_path / "vm.cfg"
    cfg.write_text(TUPLE_FIRST)
    code, out, _ = run(capfd, "diff", "--map", str(tmp_path / "map.txt"), str(cfg))
    assert code == 0
    assert "+disk = ['phy:/dev/sddlm" in out


@pytest.mark.parametrize(
    "text",
    [
        "(a b) = 1\n",  # neither Python nor a Xen S-expression file
        "(domain (name x))\nimport os\n",
        "(domain) = ((\n",
    ],
)
def test_no_safe_reading_is_a_located_error(text, tmp_path, capfd):
    cfg = tmp_path / "odd.cfg"
    cfg.write_text(text)
    for argv in (["parse", str(cfg)], ["check", "--strict", str(cfg)]):
        code, _, err = run(capfd, *argv)
        assert code == 2, err
        assert f"{cfg}:" in err and ": error: " in err


def test_reading_both_ways_with_settings_is_an_error(tmp_path, capfd):
    # Valid Python that sets disk, and a list of lists headed by names.
    text = "(domain)\n(disk := ['phy:/dev/sda,xvda,w'])\n"
    from xencfg.formats import sxp

    sxp.parse(text)  # both readers accept it
    doc = parse_text(text)  # Python reads no Setting from a walrus: no clash
    assert doc.fmt == "sxp"
    clash = "(x)\n(y)\ndisk = ['phy:/dev/sda,xvda,w']\n"
    assert parse_text(clash).fmt == "xm"
    # Lists headed by names for xend, a disk.append() for Python: refused.
    both = "(domain)\n(disk.append('phy:/dev/sda,xvda,w'))\n"
    sxp.parse(both)
    with pytest.raises(ParseError, match="both as S-expressions and as Python"):
        parse_text(both)


def test_bom_before_paren_is_still_sxp(tmp_path, capfd):
    data = b"\xef\xbb\xbf(domain (name vm1) (device (vbd (uname phy:/dev/sda))))\n"
    cfg = tmp_path / "vm1.sxp"
    cfg.write_bytes(data)
    code, out, err = run(capfd, "parse", str(cfg))
    assert code == 0, err
    assert out.splitlines()[0].endswith(": sxp")
    code, _, err = run(capfd, "roundtrip", str(cfg))
    assert code == 0
    code, out, err = run(capfd, "check", "--strict", str(cfg))
    assert code == 1 and "/dev/sda" in out


def test_corpus_sxp_still_detected_as_sxp(corpus):
    from xencfg.document import decode

    for path in corpus_files("sxp"):
        text = decode(path.read_bytes())
        try:
            fmt = parse_text(text).fmt
        except ParseError as e:
            assert "Xen S-expression" not in e.message, path
            assert "both as S-expressions" not in e.message, path
            continue
        assert fmt == "sxp", path


# -- nesting ----------------------------------------------------------------------

DEEP = {
    "xl.cfg": "disk = " + "[" * 100_000 + "]" * 100_000 + "\n",
    "xl3k.cfg": "disk = " + "[" * 3000 + "'a'" + "]" * 3000 + "\n",
    "sxp.sxp": "(domain " + "(" * 100_000 + ")" * 100_000 + ")\n",
    "sxp3k.sxp": "(domain " + "(a " * 3000 + ")" * 3000 + ")\n",
    "xm.cfg": "import os\ndisk = " + "(" * 3000 + "1" + ")" * 3000 + "\n",
    "xmneg.cfg": "import os\ndisk = " + "-" * 5000 + "1\n",
    "xmattr.cfg": "import os\ndisk = a" + ".b" * 5000 + "\n",
    "xmsum.cfg": "import os\ndisk = 'a'" + " + 'b'" * 3000 + "\n",
}


@pytest.mark.parametrize("name", sorted(DEEP))
def test_deep_nesting_is_a_located_error_in_every_command(name, tmp_path, capfd):
    (tmp_path / "map.txt").write_text(MAP_TEXT)
    cfg = tmp_path / name
    cfg.write_text(DEEP[name])
    m = str(tmp_path / "map.txt")
    for argv in (
        ["parse", str(cfg)],
        ["parse", "--json", str(cfg)],
        ["roundtrip", str(cfg)],
        ["check", "--no-cache", str(cfg)],
        ["check", "--strict", "--no-cache", str(cfg)],
        ["diff", "--map", m, "--no-cache", str(cfg)],
        ["apply", "--map", m, "--no-cache", str(cfg)],
        ["plan", "--map", m, str(cfg)],
    ):
        code, _, err = run(capfd, *argv)
        assert code == 2, (argv, err[-300:])
        assert "Traceback" not in err
        assert f"{cfg}:" in err and ": error: " in err, err[-300:]
    assert cfg.read_text() == DEEP[name]


def test_nesting_at_the_limit_is_read(capfd):
    depth = MAX_DEPTH - 1
    xl = "disk = " + "[" * depth + "'phy:/dev/sda,xvda,w'" + "]" * depth + "\n"
    assert parse_text(xl).fmt == "xl"
    sxp = "(domain" + " (a" * depth + ")" * depth + ")\n"
    assert parse_text(sxp).fmt == "sxp"
    over = "(domain" + " (a" * MAX_DEPTH + ")" * MAX_DEPTH + ")\n"
    with pytest.raises(ParseError, match="nested more than"):
        parse_text(over)


def test_deep_dump_for_plan_is_a_located_error(tmp_path, capfd):
    (tmp_path / "map.txt").write_text(MAP_TEXT)
    (tmp_path / "vm.cfg").write_text("name = 'vm'\ndisk = ['phy:/dev/sda,xvda,w']\n")
    dump = tmp_path / "dump.sxp"
    dump.write_text("(domain " + "(" * 50_000 + ")" * 50_000 + ")\n")
    code, _, err = run(
        capfd,
        "plan",
        "--map",
        str(tmp_path / "map.txt"),
        "--running",
        str(dump),
        str(tmp_path / "vm.cfg"),
    )
    assert code == 2 and f"{dump}:1:" in err and "nested more than" in err


def test_too_many_values_is_a_located_error_not_a_fallback():
    from xencfg.formats.limits import MAX_VALUES

    text = "(domain " + "()" * MAX_VALUES + ")\n"
    with pytest.raises(ParseError, match="more than 1,000,000 values") as info:
        parse_text(text)
    assert info.value.line == 1 and info.value.col > MAX_VALUES
