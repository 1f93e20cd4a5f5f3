"""Format detection and the auto path over the whole corpus."""

import random

import pytest

from conftest import corpus_files, need_corpus
from xencfg.document import ParseError, decode
from xencfg.formats.detect import parse_bytes, parse_text


@pytest.mark.parametrize(
    "text, fmt",
    [
        ("(domain (name a))\n", "sxp"),
        ("# xend config\n\n(xend-http-server yes)\n", "sxp"),
        ("# /usr/sbin/xm list -l domU\n      :\n      :\n(device (vbd))\n", "sxp"),
        ('name = "a"\ndisk = [ "phy:/dev/sda,xvda,w" ]\n', "xl"),
        ("import os\nname = 'a'\n", "xm"),
        ('disk = [ """phy:/dev/sda,xvda,w""" ]\n', "xm"),
        ("if 1:\n    disk = ['phy:/dev/sda,xvda,w']\n", "xm"),
        ('print "hello"\nname = "a"\n', "xm"),
    ],
)
def test_detects_format(text, fmt):
    assert parse_text(text).fmt == fmt


def test_format_override():
    text = 'name = "a"\n'
    assert parse_text(text, fmt="xm").fmt == "xm"
    with pytest.raises(ParseError):
        parse_text("import os\n", fmt="xl")


def test_error_names_the_place_that_read_furthest():
    # Valid xl for two lines, then something neither xl nor Python reads.
    text = 'name = "a"\nmemory = 512\ndisk = [ "phy:/dev/sda" \n'
    with pytest.raises(ParseError) as e:
        parse_text(text)
    assert (e.value.line, e.value.col) == (3, 8)
    assert "never closed" in e.value.message


def test_every_corpus_config_parses_or_is_a_known_reject():
    need_corpus()
    rejects = {
        "libvirt__tests__sexpr2xmldata__sexpr2xml-bridge-ipaddr.sexpr",
        "libvirt__tests__sexpr2xmldata__sexpr2xml-net-routed.sexpr",
        "libvirt__tests__sexpr2xmldata__sexpr2xml-pv-vfb-new-vncdisplay.sexpr",
        "libvirt__tests__sexpr2xmldata__sexpr2xml-pv-vfb-new.sexpr",
    }
    failed = set()
    for path in corpus_files("xl", "xm", "sxp"):
        data = path.read_bytes()
        try:
            doc = parse_bytes(data, str(path))
        except ParseError as err:
            assert err.line >= 1 and err.col >= 1
            failed.add(path.name)
            continue
        assert doc.to_bytes() == data, path
    assert failed == rejects


def _mutate(rng: random.Random, data: bytes) -> bytes:
    if not data:
        return b"("
    i = rng.randrange(len(data))
    j = min(len(data), i + rng.randint(1, 40))
    op = rng.randrange(5)
    if op == 0:
        return data[:i] + bytes([data[i] ^ (1 << rng.randrange(8))]) + data[i + 1 :]
    if op == 1:
        return data[:i] + data[j:]
    if op == 2:
        return data[:j] + data[i:j] + data[j:]
    if op == 3:
        return (
            data[:i]
            + rng.choice([b"'", b'"', b"(", b")", b"[", b"]", b"\n"])
            + data[i:]
        )
    return data[:i] + b"\xff\xfe" + data[i:]


def test_fuzz_auto_detection_round_trips_or_locates_the_error():
    need_corpus()
    files = corpus_files("xl", "xm", "sxp")
    rng = random.Random(20261125)
    for n in range(300):
        path = rng.choice(files)
        data = _mutate(rng, path.read_bytes())
        try:
            doc = parse_bytes(data, "fuzz")
        except ParseError as err:
            assert err.line >= 1 and err.col >= 1
            assert "Token(" not in err.message
            continue
        assert doc.to_bytes() == data, (path.name, n)


def test_decode_keeps_non_utf8_bytes():
    data = b'# caf\xe9\nname = "a"\n'
    assert parse_bytes(data).to_bytes() == data
    assert decode(data).encode("utf-8", "surrogateescape") == data
