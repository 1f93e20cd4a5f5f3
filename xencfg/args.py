"""The command line's arguments.

argparse reads them, with a parser built for the command being run (see
``parser``).  A one-file check spends more on argparse (its import, its
translations and terminal size, the parser) than on its file, so the plain
lines of check, diff and apply (exact option names, every value valid) are
read by ``quick`` instead, to the same namespace; anything else (help, an
error, an abbreviation, an unusual spelling) goes to argparse, which prints
what it always has.
"""

from __future__ import annotations

import sys
from types import SimpleNamespace

from . import __version__
from .maps import FORMATS as MAP_FORMATS  # registered in xencfg/maps/__init__.py


def parse_args(words: list[str]):
    """The namespace of the command line ``words`` (argparse exits on bad
    usage, as always)."""
    args = quick(words)
    if args is None:
        args = parser(words).parse_args(words)
    return args


# -- argparse ---------------------------------------------------------------
def parser(words: list[str] | None = None) -> argparse.ArgumentParser:
    """The parser of the command line ``words`` (all of it when None).

    When the first word is a command, only that command's sub-parser is
    built: building all nine costs a one-file run more than its file.
    Anything else (no command, an option first, a misspelt command) gets
    every sub-parser, so help and errors list them all.
    """
    words = list(HELP) if words is None else words
    import argparse

    command = _command(words)
    p = argparse.ArgumentParser(
        prog="xencfg",
        description="Rewrite Xen domain configs safely: move guests from "
        "SCSI disks (/dev/sdX) to their multipath devices (HDLM /dev/sddlmXX, "
        "dm-multipath, PowerPath).",
    )
    p.add_argument("--version", action="version", version=f"xencfg {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    for name, helptext in HELP.items():
        if command is not None and name != command:
            continue
        s = sub.add_parser(name, help=helptext)
        if name in ("plan", "fleet") and name not in words:
            continue  # their options (and imports) only when one is the command
        ARGS[name](s)
    return p


def _command(words: list[str]) -> str | None:
    """The command when it is the first word, else None."""
    if words and words[0] in HELP:
        return words[0]
    return None


def _parse_args(s: argparse.ArgumentParser) -> None:
    s.add_argument("file", help="config file, or - for standard input")
    s.add_argument("--json", action="store_true", help="print JSON")
    s.add_argument("--format", default="auto", choices=FORMATS, help=FMT_HELP)


def _roundtrip_args(s: argparse.ArgumentParser) -> None:
    s.add_argument("paths", nargs="+", metavar="PATH")
    s.add_argument("--format", default="auto", choices=FORMATS, help=FMT_HELP)
    _walk_args(s)


def _map_args(s: argparse.ArgumentParser) -> None:
    s.add_argument("file", help="map file, or - for standard input")
    s.add_argument("--json", action="store_true", help="print JSON")
    s.add_argument("--map-format", default="auto", choices=MAP_FORMATS)


def fleet_parser(f: argparse.ArgumentParser) -> None:
    from .fleet_out import fleet_args

    fsub = f.add_subparsers(dest="action", metavar="ACTION")
    fsub.required = True
    fleet_args(fsub)


def _walk_args(s: argparse.ArgumentParser) -> None:
    s.add_argument(
        "--include",
        action="append",
        default=[],
        metavar="GLOB",
        help="in folders, take files matching GLOB (default: *.cfg, *.sxp)",
    )
    s.add_argument(
        "--exclude", action="append", default=[], metavar="GLOB", help="skip GLOB"
    )


def _migrate_args(s: argparse.ArgumentParser, name: str) -> None:
    s.add_argument("paths", nargs="+", metavar="PATH", help="files or folders")
    s.add_argument(
        "--map",
        metavar="FILE",
        # diff and apply need it: argparse lists it among the required
        # options (and says so when it is missing).
        required=name != "check",
        help="device map (dlmcfgmgr -v output, ...; - for standard input)"
        + (
            "; without it, check enforces the no-/dev/sd* policy"
            if name == "check"
            else ""
        ),
    )
    s.add_argument("--map-format", default="auto", choices=MAP_FORMATS)
    s.add_argument("--format", default="auto", choices=FORMATS)
    s.add_argument("--report", choices=("text", "json"), default="text")
    s.add_argument(
        "--resolve-links",
        action="store_true",
        help="resolve /dev/disk/by-* names on this host",
    )
    s.add_argument(
        "-j",
        "--jobs",
        type=_positive,
        default=0,
        help="parallel workers, 1 or more (default: one per core)",
    )
    s.add_argument("-q", "--quiet", action="store_true", help="no notes or summary")
    s.add_argument(
        "--no-cache", action="store_true", help="do not skip files seen unchanged"
    )
    s.add_argument(
        "--strict",
        action="store_true",
        help="also exit 1 on warnings (disks that cannot be migrated)",
    )
    _walk_args(s)
    if name == "diff":
        s.add_argument("--check", action="store_true", help="exit 1 on changes")
        s.add_argument(
            "--relative",
            metavar="DIR",
            help="paths in the patch relative to DIR (default: current folder)",
        )
    if name == "apply":
        s.add_argument(
            "--backup",
            metavar="SUFFIX",
            type=_backup_suffix,
            help="keep each original as FILE+SUFFIX (never overwritten: "
            "FILE+SUFFIX.1, .2, ... when taken)",
        )
        s.add_argument(
            "--out-dir",
            metavar="DIR",
            help="write converted copies of the tree under DIR; never touch sources",
        )


def _positive(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        n = 0
    if n < 1:
        import argparse

        raise argparse.ArgumentTypeError(
            f"expected a whole number of 1 or more: {text!r}"
        )
    return n


def _backup_suffix(text: str) -> str:
    if not text or "/" in text or text in (".", ".."):
        import argparse

        raise argparse.ArgumentTypeError(
            f"a suffix must be non-empty and hold no '/': {text!r}"
        )
    return text


def plan_args(p: argparse.ArgumentParser) -> None:
    from .plan.model import DEFAULT_AUTO

    p.description = (
        "Write a per-domain runbook for moving guests to their multipath "
        "devices: stop, suspend autostart, patch the config, switch the LU "
        "to multi-path (manual), start, restore autostart."
    )
    p.add_argument("paths", nargs="+", metavar="PATH", help="configs or folders")
    p.add_argument("--map", required=True, metavar="FILE", help="dlmcfgmgr -v, ...")
    p.add_argument(
        "--map-format",
        default="auto",
        choices=MAP_FORMATS,
    )
    p.add_argument(
        "--running",
        metavar="DUMP",
        help="'xm list -l' output for all domains: which run, and the "
        "xend-managed ones (default: the script checks at run time)",
    )
    p.add_argument(
        "--auto-dir",
        metavar="DIR",
        help=f"autostart folder (default: {DEFAULT_AUTO} when it exists)",
    )
    p.add_argument(
        "--toolstack",
        choices=("xm", "xl"),
        default="xm",
        help="commands to stop and start domains (default: xm, as the HDLM "
        "manual uses)",
    )
    p.add_argument("--format", choices=("text", "sh", "json"), default="text")
    p.add_argument("-o", "--output", metavar="FILE", help="write here, not stdout")
    p.add_argument(
        "--include", action="append", default=[], metavar="GLOB", help="in folders"
    )
    p.add_argument("--exclude", action="append", default=[], metavar="GLOB")


FORMATS = ("auto", "xl", "xm", "sxp", "json")
FMT_HELP = "input format (default: detect per file)"

#: every command's help line, in the order --help lists them
HELP = {
    "parse": "show the tree of one config",
    "roundtrip": "check that files re-serialise exactly",
    "map": "show a device map (dlmcfgmgr -v, ...)",
    "check": "report what would change; exit 1 if anything would",
    "diff": "print a patch (git apply / patch -p1) of the migration",
    "apply": "rewrite the files in place, atomically",
    "plan": "a per-domain migration runbook",
    "fleet": "many hosts: one inventory, a runbook each",
}
#: what adds each command's arguments to its sub-parser
ARGS = {
    "parse": _parse_args,
    "roundtrip": _roundtrip_args,
    "map": _map_args,
    "check": lambda s: _migrate_args(s, "check"),
    "diff": lambda s: _migrate_args(s, "diff"),
    "apply": lambda s: _migrate_args(s, "apply"),
    "plan": plan_args,
    "fleet": fleet_parser,
}


# -- the quick reading ------------------------------------------------------
# The options of check, diff and apply as _migrate_args gives them to
# argparse: option -> (dest, kind); kind is "flag", "append", a tuple of
# choices, a converter, or None (any text).
_COMMON = {
    "--map": ("map", None),
    "--map-format": ("map_format", MAP_FORMATS),
    "--format": ("format", FORMATS),
    "--report": ("report", ("text", "json")),
    "--resolve-links": ("resolve_links", "flag"),
    "-j": ("jobs", _positive),
    "--jobs": ("jobs", _positive),
    "-q": ("quiet", "flag"),
    "--quiet": ("quiet", "flag"),
    "--no-cache": ("no_cache", "flag"),
    "--strict": ("strict", "flag"),
    "--include": ("include", "append"),
    "--exclude": ("exclude", "append"),
}
_OPTIONS = {
    "check": _COMMON,
    "diff": {**_COMMON, "--check": ("check", "flag"), "--relative": ("relative", None)},
    "apply": {
        **_COMMON,
        "--backup": ("backup", _backup_suffix),
        "--out-dir": ("out_dir", None),
    },
}
_DEFAULTS = {
    "map": None,
    "map_format": "auto",
    "format": "auto",
    "report": "text",
    "resolve_links": False,
    "jobs": 0,
    "quiet": False,
    "no_cache": False,
    "strict": False,
}
_MORE = {
    "check": {},
    "diff": {"check": False, "relative": None},
    "apply": {"backup": None, "out_dir": None},
}


def quick(words: list[str]) -> SimpleNamespace | None:
    """What argparse would make of a plain check, diff or apply line, or
    None for anything else (then argparse reads it).

    Plain: the command first; options spelt in full, as ``--opt VALUE`` or
    ``--opt=VALUE`` (``-j N``, ``-q``), with valid values that do not start
    with '-'; the paths in one run.  argparse accepts every such line, and
    reads it to the same values (tests/test_args.py holds them together).
    """
    if not words or words[0] not in _OPTIONS:
        return None
    options = _OPTIONS[words[0]]
    values: dict = {"command": words[0], "paths": [], "include": [], "exclude": []}
    values.update(_DEFAULTS)
    values.update(_MORE[words[0]])
    paths = values["paths"]
    after_paths = False  # an option came after the paths
    rest = iter(words[1:])
    for word in rest:
        if word == "-" or not word.startswith("-"):
            if after_paths:
                return None  # a second run of paths: argparse refuses it
            paths.append(word)
            continue
        after_paths = bool(paths)
        name, eq, value = (
            word.partition("=") if word.startswith("--") else (word, "", "")
        )
        if name not in options:
            return None
        dest, kind = options[name]
        if kind == "flag":
            if eq:
                return None
            values[dest] = True
            continue
        if not eq:
            value = next(rest, None)
            if value is None or value.startswith("-"):
                return None
        if kind == "append":
            values[dest].append(value)
        elif isinstance(kind, tuple):
            if value not in kind:
                return None
            values[dest] = value
        elif kind is None:
            values[dest] = value
        else:
            try:
                values[dest] = kind(value)
            except Exception:
                return None
    if not paths or (values["map"] is None and words[0] != "check"):
        return None
    return SimpleNamespace(**values)
