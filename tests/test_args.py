"""The quick reading of check/diff/apply lines agrees with argparse.

``xencfg.args.quick`` reads the plain lines without argparse (a one-file
check would spend more on argparse than on its file).  Whenever it gives a
namespace, argparse must accept the same line and give the same values;
when it declines, argparse reads the line (and prints its help or errors
as always), so declining is always safe.
"""

from __future__ import annotations

import contextlib
import io

import pytest
from hypothesis import given
from hypothesis import strategies as st

from xencfg.args import parser, quick


def argparse_reads(words: list[str]) -> dict | None:
    quiet = io.StringIO()  # argparse's messages for the lines it refuses
    try:
        with contextlib.redirect_stderr(quiet), contextlib.redirect_stdout(quiet):
            return vars(parser(words).parse_args(words))
    except SystemExit:
        return None


PLAIN = [
    ["check", "a.cfg"],
    ["check", "-j", "1", "--map", "map.txt", "xl.cfg", "xm.cfg"],
    ["check", "a.cfg", "b.cfg", "--map", "m.txt", "-q", "--strict"],
    ["check", "--map=m.txt", "--map-format=dlmcfgmgr", "--format", "xl", "d/"],
    ["check", "--report", "json", "--include", "*.conf", "--exclude", "x*", "d"],
    ["check", "--include", "a", "--include", "b", "--no-cache", "-", "x.cfg"],
    ["check", "--resolve-links", "--jobs", "4", "--map", "a", "--map", "b", "f"],
    ["diff", "--map", "m", "--relative", "/etc/xen", "--check", "a.cfg"],
    ["diff", "a.cfg", "--map", "m"],
    ["apply", "--map", "m", "--backup", ".orig", "a.cfg"],
    ["apply", "--map", "m", "--out-dir", "out", "tree"],
    ["check", ""],
]


@pytest.mark.parametrize("words", PLAIN, ids=" ".join)
def test_plain_lines_are_read_quickly_as_argparse_reads_them(words):
    args = quick(words)
    assert args is not None
    assert vars(args) == argparse_reads(words)


DECLINED = [
    [],
    ["--help"],
    ["check"],  # no paths: argparse says so
    ["check", "--help"],
    ["check", "-h", "a"],
    ["chec", "a"],
    ["check", "--ma", "m", "a"],  # an abbreviation
    ["check", "-j0", "a"],
    ["check", "-j", "0", "a"],
    ["check", "-j", "x", "a"],
    ["check", "--map", "-", "a"],  # a value that starts with '-'
    ["check", "--map"],
    ["check", "a", "-q", "b"],  # two runs of paths
    ["check", "--format", "yaml", "a"],
    ["check", "--quiet=yes", "a"],
    ["check", "--", "a"],
    ["check", "-qj", "1", "a"],
    ["diff", "a"],  # no --map
    ["apply", "--map", "m", "--backup", "a/b", "f"],
    ["apply", "--map", "m", "--check", "f"],  # diff's option
    ["plan", "--map", "m", "a"],
    ["parse", "a"],
]


@pytest.mark.parametrize("words", DECLINED, ids=" ".join)
def test_other_lines_go_to_argparse(words):
    assert quick(words) is None


WORDS = [
    "check", "diff", "apply", "a.cfg", "dir/", "-", "", "x=y", "--map", "--map=m",
    "m.txt", "--map-format", "plain", "dlmcfgmgr", "--format", "xl", "auto",
    "--report", "json", "text", "-j", "--jobs", "1", "0", "-1", "--jobs=2", "-q",
    "--quiet", "--no-cache", "--strict", "--resolve-links", "--include", "*.cfg",
    "--exclude", "--check", "--relative", "--backup", ".bak", "a/b", "--out-dir",
    "--help", "-h", "--", "--ma", "--quiet=1", "-j2", "--version", "plan",
]  # fmt: skip


COMMAND = st.sampled_from(["check", "diff", "apply", "plan", "--help"])


@given(st.tuples(COMMAND, st.lists(st.sampled_from(WORDS), max_size=8)))
def test_quick_never_disagrees_with_argparse(line):
    words = [line[0], *line[1]]
    args = quick(words)
    if args is not None:
        assert vars(args) == argparse_reads(words), words
