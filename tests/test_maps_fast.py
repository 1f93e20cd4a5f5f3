"""The dlmcfgmgr reader's short way for device rows against the general one.

``dlmcfgmgr._Reader.read`` sends a line that starts with ``/dev/sd`` (after
the header) straight to ``row``, without the capture-noise tests of
``skip``.  Whatever the capture, it must read exactly what the general
``RowReader.read`` reads: the same map, warnings and notes, or the same
error at the same line.
"""

from __future__ import annotations

import random

import pytest
from conftest import SAMPLES, corpus_files
from hypothesis import given, settings
from hypothesis import strategies as st

from xencfg.maps import MapError, dlmcfgmgr, parse_map
from xencfg.maps.base import RowReader
from xencfg.maps.render import to_json


def outcome(text: str, fmt: str = "dlmcfgmgr"):
    try:
        dm = parse_map(text, fmt)
    except MapError as e:
        return "error", e.message, e.line
    return to_json(dm), dm.warnings, dm.notes, dm.source


def both(text: str, monkeypatch, fmt: str = "dlmcfgmgr"):
    fast = outcome(text, fmt)
    with monkeypatch.context() as m:
        m.setattr(dlmcfgmgr._Reader, "read", RowReader.read)
        general = outcome(text, fmt)
    assert fast == general
    return fast


def rows(n: int, start: int = 0) -> list[str]:
    return [
        f"/dev/sddlm{'abcdefghijklmnop'[i // 16]}{'abcdefghijklmnop'[i % 16]}  "
        f"configured  /dev/sd{chr(97 + i % 26)}{chr(97 + i // 26) if i >= 26 else ''}"
        f"  1  0  0  {i}"
        for i in range(start, start + n)
    ]


HEADER = "HDevName      Management  Device    Host  Channel  Target  Lun"
CAPTURES = {
    "plain": [HEADER, *rows(40), "KAPL10302-I /sbin/dlmcfgmgr completed normally."],
    "paths": [HEADER, rows(1)[0], "   /dev/sdz  2  0  0  0", "   -  3 0 0 0"],
    "path first": [HEADER, "/dev/sdb 1 0 0 1"],
    "before header": [rows(1)[0], HEADER],
    "twice": [HEADER, rows(1)[0], rows(1)[0]],
    "same disk": [HEADER, *rows(2), "/dev/sddlmac configured /dev/sda 1 0 0 9"],
    "same hctl": [
        HEADER,
        "/dev/sddlmaa configured /dev/sda 1 0 0 0",
        "/dev/sdq 1 0 0 0",
    ],
    "partition": [HEADER, "/dev/sddlmaa configured /dev/sda1 1 0 0 0"],
    "hdlm path": [HEADER, "/dev/sddlmaa configured /dev/sddlmab 1 0 0 0"],
    "aix": [HEADER, "/dev/sddlmaa configured hdisk3 1 0 0 0"],
    "not a number": [HEADER, "/dev/sddlmaa configured /dev/sda 1 0 x 0"],
    "unicode digits": [HEADER, "/dev/sddlmaa configured /dev/sda 1 0 \u0663 0"],
    "few fields": [HEADER, "/dev/sddlmaa configured /dev/sda 1 0 0"],
    "unconfigured": [HEADER, "/dev/sddlmaa unconfigured /dev/sda 1 0 0 0"],
    "elided": [HEADER, rows(1)[0], "   :", *rows(2, 5), "/dev/sdq 1 0 0 3"],
    "prompt": ["# /sbin/dlmcfgmgr -v", HEADER, *rows(3), "#"],
    "odd spacing": [HEADER, "\t/dev/sddlmaa\tconfigured\t/dev/sda\t1 0 0 0\u00a0"],
    "bad name": [HEADER, "/dev/sddlmzz configured /dev/sda 1 0 0 0"],
    "sd then junk": [HEADER, *rows(2), "/dev/sdfoo# 1 0 0 0"],
}


@pytest.mark.parametrize("name", sorted(CAPTURES))
def test_captures_read_the_same_both_ways(name, monkeypatch):
    both("\n".join(CAPTURES[name]) + "\n", monkeypatch)


def dlmcfgmgr_texts() -> list[str]:
    files = corpus_files("mapping") + sorted(SAMPLES.rglob("*dlmcfgmgr*"))
    return [p.read_text(errors="replace") for p in files if "dlmcfgmgr" in p.name]


def test_corpus_and_sample_maps_read_the_same_both_ways(monkeypatch):
    results = [both(text, monkeypatch) for text in dlmcfgmgr_texts()]
    assert len(results) >= 5 and all(r[0] != "error" for r in results)


def test_device_rows_skip_the_noise_tests(monkeypatch):
    calls = []
    skip = dlmcfgmgr._Reader.skip
    monkeypatch.setattr(
        dlmcfgmgr._Reader,
        "skip",
        lambda self, no, line: calls.append(no) or skip(self, no, line),
    )
    dm = parse_map("\n".join(CAPTURES["plain"]), "dlmcfgmgr")
    assert len(dm.devices) == 40 and calls == [1, 42]  # the header, the message


def test_mutated_maps_read_the_same_both_ways(monkeypatch):
    rnd = random.Random(14)
    pieces = [HEADER, *rows(30), "   /dev/sdz 2 0 0 0", "   :", "# x", "", "-  2 0 0 0"]
    pieces += ["KAPL10302-W warn", "/dev/sddlmpp configured /dev/sdzz 9 9 9 9"]
    for text in dlmcfgmgr_texts() + ["\n".join(pieces)]:
        lines = text.splitlines()
        for _ in range(30):
            mutated = list(lines)
            for _ in range(rnd.randint(1, 4)):
                i = rnd.randrange(len(mutated) + 1)
                op = rnd.randrange(4)
                if op == 0 and mutated:
                    del mutated[min(i, len(mutated) - 1)]
                elif op == 1:
                    mutated.insert(i, rnd.choice(pieces))
                elif op == 2 and mutated:
                    j = min(i, len(mutated) - 1)
                    mutated[j] = mutated[j].replace(
                        " ", rnd.choice(["\t", "", "  "]), 1
                    )
                elif mutated:
                    mutated.insert(i, mutated[rnd.randrange(len(mutated))])
            both("\n".join(mutated), monkeypatch)


LINE = st.one_of(
    st.sampled_from([HEADER, *rows(5), "   /dev/sdk 3 0 1 0", "   -  4 0 1 0", ":"]),
    st.text(alphabet="/devsdlmabcpq0123 \t:#-", max_size=40),
)


@settings(max_examples=150)
@given(st.lists(LINE, max_size=12))
def test_generated_captures_read_the_same_both_ways(lines):
    with pytest.MonkeyPatch.context() as monkeypatch:
        both("\n".join(lines), monkeypatch)
