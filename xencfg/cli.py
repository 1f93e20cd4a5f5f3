"""The command line: arguments in, results on stdout, messages on stderr.

Exit codes as black's: 0 fine, 1 something would change, 2 bad input or
usage, 123 an internal error.
"""

from __future__ import annotations

import gc
import os
import sys

from .args import parse_args
from .document import ParseError
from .errors import BAD, CHANGED, INTERNAL, INTERRUPTED, OK, Failed, Usage, err


def out(text: str) -> None:
    sys.stdout.write(text)


# -- entry point --------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
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
    # What is loaded so far lives as long as the process: the collector need
    # not walk it again in every full collection, nor once more at exit.
    gc.freeze()
    # A command makes few objects that form cycles (the modules it imports,
    # a file's nodes, freed as it goes): the collector is run rarely.
    gc.set_threshold(20000, 10, 10)
    code = main()
    gc.freeze()  # (the exit's collection would free nothing we still need)
    sys.exit(code)


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
