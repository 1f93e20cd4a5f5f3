"""check, diff and apply over many files: the parent side of a batch.

Workers (batch.process) return results; this module alone prints them, in
the order the files were named, and decides the exit code.
"""

from __future__ import annotations

import json
import os
import sys

from .batch import FileResult, Options, collect, run, write_atomic
from .diffs import unified

OK, CHANGED, BAD, INTERNAL = 0, 1, 2, 123


def _err(text: str) -> None:
    sys.stderr.write(text + "\n")


def _patch_path(path: str, root: str) -> str:
    rel = os.path.relpath(os.path.abspath(path), os.path.abspath(root))
    return rel.replace(os.sep, "/")


def migrate_command(args, devmap) -> int:
    jobs, missing = collect(args.paths, args.include, args.exclude)
    for m in missing:
        _err(m)
    opts = Options(devmap=devmap, fmt=args.format, resolve_links=args.resolve_links)
    workers = args.jobs or os.cpu_count() or 1
    verb = "migrated" if args.command == "apply" else "would migrate"
    root = getattr(args, "relative", None) or os.getcwd()
    report = args.report == "json"
    records: list[dict] = []
    changed = unchanged = failed = crashed = warned = 0
    stdin_data = sys.stdin.buffer.read() if any(j.real == "-" for j in jobs) else None

    for res in (
        run(jobs, opts, workers)
        if stdin_data is None
        else _with_stdin(jobs, opts, stdin_data)
    ):
        if res.crash:
            crashed += 1
            _err(f"{res.path}: error: internal error (please report):\n{res.crash}")
            continue
        if res.error:
            failed += 1
            _err(res.error)
            records.append({"path": res.path, "error": res.error})
            continue
        for f in res.findings:
            if f.severity == "warning":
                warned += 1
            if report:
                records.append(f.record())
            elif f.kind in ("migrate", "policy"):
                line = f.text("migrated" if args.command == "apply" else verb)
                if args.command == "check":
                    print(line)
                elif not args.quiet:
                    _err(line)
            elif f.severity == "warning" or not args.quiet:
                _err(f.text())
        policy = any(f.kind == "policy" for f in res.findings)
        if res.changed or policy:
            changed += 1
        else:
            unchanged += 1
        if res.changed:
            _deliver(args, res, root, report, records)

    if report:
        print(
            json.dumps(
                {
                    "findings": records,
                    "summary": _counts(changed, unchanged, failed + crashed),
                },
                indent=2,
            )
        )
    if not args.quiet:
        _err(
            _summary(args.command, changed, unchanged, failed + crashed + len(missing))
        )
    if crashed:
        return INTERNAL
    if failed or missing:
        return BAD
    if changed and (args.command == "check" or getattr(args, "check", False)):
        return CHANGED
    if args.strict and warned and args.command != "apply":
        return CHANGED
    return OK


def _with_stdin(jobs, opts, data):
    from .batch import process

    for job in jobs:
        yield process(job, opts, data if job.real == "-" else None)


def _deliver(args, res: FileResult, root: str, report: bool, records) -> None:
    if args.command == "diff":
        patch = unified(res.old, res.new, _patch_path(res.path, root))
        if report:
            records.append({"path": res.path, "diff": patch})
        else:
            sys.stdout.flush()
            sys.stdout.buffer.write(patch.encode("utf-8", "surrogateescape"))
            sys.stdout.buffer.flush()
    elif args.command == "apply":
        if res.real == "-":
            sys.stdout.buffer.write(res.new)
        else:
            write_atomic(res.real, res.new, args.backup)


def _counts(changed: int, unchanged: int, failed: int) -> dict:
    return {"changed": changed, "unchanged": unchanged, "failed": failed}


def _files(n: int) -> str:
    return f"{n} file{'' if n == 1 else 's'}"


def _summary(command: str, changed: int, unchanged: int, failed: int) -> str:
    if command == "apply":
        parts = [f"{_files(changed)} migrated"]
    else:
        parts = [f"{_files(changed)} would be migrated"]
    parts.append(f"{_files(unchanged)} left unchanged")
    if failed:
        parts.append(f"{_files(failed)} failed")
    return ", ".join(parts) + "."
