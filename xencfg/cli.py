"""The command line: arguments in, results on stdout, messages on stderr.

Exit codes as black's: 0 fine, 1 something would change, 2 bad input or
usage, 123 an internal error.
"""

from __future__ import annotations

import argparse
import os
import sys

from . import __version__, maps
from .document import ParseError
from .errors import BAD, CHANGED, INTERNAL, INTERRUPTED, OK, Failed, Usage, err


def out(text: str) -> None:
    sys.stdout.write(text)


# -- arguments --------------------------------------------------------------
def _parser(plan: bool = True, fleet: bool = True) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="xencfg",
        description="Rewrite Xen domain configs safely: move guests from "
        "SCSI disks (/dev/sdX) to their multipath devices (HDLM /dev/sddlmXX, "
        "dm-multipath, PowerPath).",
    )
    p.add_argument("--version", action="version", version=f"xencfg {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    fmt_help = "input format (default: detect per file)"
    s = sub.add_parser("parse", help="show the tree of one config")
    s.add_argument("file", help="config file, or - for standard input")
    s.add_argument("--json", action="store_true", help="print JSON")
    s.add_argument("--format", default="auto", choices=FORMATS, help=fmt_help)

    s = sub.add_parser("roundtrip", help="check that files re-serialise exactly")
    s.add_argument("paths", nargs="+", metavar="PATH")
    s.add_argument("--format", default="auto", choices=FORMATS, help=fmt_help)
    _walk_args(s)

    s = sub.add_parser("map", help="show a device map (dlmcfgmgr -v, ...)")
    s.add_argument("file", help="map file, or - for standard input")
    s.add_argument("--json", action="store_true", help="print JSON")
    s.add_argument("--map-format", default="auto", choices=MAP_FORMATS)

    for name, helptext in (
        ("check", "report what would change; exit 1 if anything would"),
        ("diff", "print a patch (git apply / patch -p1) of the migration"),
        ("apply", "rewrite the files in place, atomically"),
    ):
        s = sub.add_parser(name, help=helptext)
        _migrate_args(s, name)

    s = sub.add_parser("plan", help="a per-domain migration runbook")
    if plan:  # its options (and its imports) only when it is the command
        plan_args(s)
    f = sub.add_parser("fleet", help="many hosts: one inventory, a runbook each")
    if fleet:  # likewise
        fleet_parser(f)
    return p


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
        raise argparse.ArgumentTypeError(
            f"expected a whole number of 1 or more: {text!r}"
        )
    return n


def _backup_suffix(text: str) -> str:
    if not text or "/" in text or text in (".", ".."):
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
MAP_FORMATS = maps.FORMATS  # registered in xencfg/maps/__init__.py


# -- entry point --------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    words = sys.argv[1:] if argv is None else argv
    args = _parser(plan="plan" in words, fleet="fleet" in words).parse_args(argv)
    try:
        code = COMMANDS[args.command](args)
    except Usage as e:
        err(f"xencfg: error: {e}")
        code = BAD
    except Failed as e:
        err(str(e))
        code = BAD
    except KeyboardInterrupt:
        err("xencfg: interrupted")
        code = INTERRUPTED
    except BrokenPipeError:
        code = OK
    except Exception:
        import traceback

        err("xencfg: internal error (please report):\n" + traceback.format_exc())
        code = INTERNAL
    return code


def run() -> None:
    sys.exit(main())


def _read_input(path: str) -> bytes:
    if path == "-":
        return sys.stdin.buffer.read()
    from .pipeline import read_or_usage  # (lazily: start-up time)

    return read_or_usage(path)


# -- parse ------------------------------------------------------------------
def cmd_parse(args) -> int:
    from .formats.detect import parse_bytes
    from .show import tree_json, tree_text

    data = _read_input(args.file)
    try:
        doc = parse_bytes(data, args.file, args.format)
    except ParseError as e:
        err(e.format(args.file))
        return BAD
    if args.json:
        import json

        out(json.dumps(tree_json(doc), indent=2, ensure_ascii=False) + "\n")
    else:
        out(tree_text(doc))
    for line, note in doc.notes:
        err(f"{args.file}:{line}:1: note: {note}")
    return OK


# -- roundtrip ----------------------------------------------------------------
def cmd_roundtrip(args) -> int:
    from .formats.detect import parse_bytes
    from .walk import collect

    jobs, missing = collect(args.paths, args.include, args.exclude)
    for m in missing:
        err(m)
    same = differ = failed = 0
    for job in jobs:
        data = _read_input(job.real) if job.real != "-" else _read_input("-")
        try:
            doc = parse_bytes(data, job.path, args.format)
        except ParseError as e:
            err(e.format(job.path))
            failed += 1
            continue
        if doc.to_bytes() == data:
            same += 1
        else:
            out(f"{job.path}: not identical\n")
            differ += 1
    err(
        f"{_n(same, 'file')} identical, {differ} not identical, "
        f"{failed} failed to parse"
    )
    if differ:
        return CHANGED
    if failed or missing:
        return BAD
    return OK


def _n(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


# -- map --------------------------------------------------------------------
def cmd_map(args) -> int:
    from .maps.render import table, to_json
    from .pipeline import load_map_or_fail

    dm = load_map_or_fail(args.file, args.map_format)
    if args.json:
        import json

        out(json.dumps(to_json(dm), indent=2) + "\n")
    else:
        out(table(dm) + "\n")
    return OK


# -- check / diff / apply -----------------------------------------------------
def cmd_migrate(args) -> int:
    from .batch import Batch, run_batch
    from .deliver import Delivery
    from .pipeline import Options, load_map_or_fail
    from .report import Report

    if args.map == "-" and "-" in args.paths:
        raise Usage("standard input (-) cannot be both the map and a config")
    devmap = None
    if args.map:
        devmap = load_map_or_fail(args.map, args.map_format)
    elif args.command != "check":
        raise Usage(f"{args.command} needs --map FILE (the device map)")
    command = args.command
    how = Delivery()
    if command == "diff":
        how.patch_root = args.relative or os.getcwd()
    elif command == "apply":
        how.write, how.backup, how.out_dir = True, args.backup, args.out_dir
    report = Report(
        command,
        policy=devmap is None,
        json_report=args.report == "json",
        quiet=args.quiet,
        strict=args.strict,
        changes_fail=command == "check" or (command == "diff" and args.check),
    )
    batch = Batch(
        args.paths,
        Options(devmap, args.format, args.resolve_links),
        how,
        report,
        args.include,
        args.exclude,
        use_cache=not args.no_cache and not args.resolve_links,
        workers=args.jobs,
    )
    return run_batch(batch)


def cmd_plan(args) -> int:
    from .plan import run_plan

    return run_plan(args)


def cmd_fleet(args) -> int:
    from .fleet_out import run_fleet

    return run_fleet(args)


COMMANDS = {
    "parse": cmd_parse,
    "roundtrip": cmd_roundtrip,
    "map": cmd_map,
    "check": cmd_migrate,
    "diff": cmd_migrate,
    "apply": cmd_migrate,
    "plan": cmd_plan,
    "fleet": cmd_fleet,
}
