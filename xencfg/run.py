"""check, diff and apply over many files: the parent side of a batch.

Workers (batch.work) read, convert and deliver each file and return a small
result; this module alone prints them, in the order the files were found,
keeps the cache, and decides the exit code:

  0  nothing to do (check, diff), or done (apply)
  1  check / diff --check: something would change (or --strict: warnings)
  2  a file could not be read, parsed or written; the others were done
  123 an internal error
"""

from __future__ import annotations

import json
import os
import sys

from .batch import FileResult, Options, collect, process, run
from .cache import Cache, key as cache_key
from .progress import Progress

OK, CHANGED, BAD, INTERNAL = 0, 1, 2, 123


def migrate_command(args, devmap) -> int:
    out_dir = getattr(args, "out_dir", None)
    skip = [out_dir] if out_dir else []
    jobs, missing = collect(args.paths, args.include, args.exclude, skip)
    quiet = args.quiet
    for m in missing:
        _err(m)
    if out_dir is not None:
        problem = _out_dir_problem(jobs, out_dir)
        if problem:
            _err(f"xencfg: error: {problem}")
            return BAD
    use_cache = not args.no_cache and not args.resolve_links
    cache = Cache(cache_key(devmap, args.format, args.resolve_links))
    if use_cache:
        cache.load()
    root = getattr(args, "relative", None) or os.getcwd()
    opts = Options(
        devmap=devmap,
        fmt=args.format,
        resolve_links=args.resolve_links,
        command=args.command,
        patch_root=root,
        backup=getattr(args, "backup", None),
        out_dir=out_dir,
        cache=cache.seen if use_cache else {},
    )
    workers = args.jobs if args.jobs and args.jobs > 0 else (os.cpu_count() or 1)
    report = args.report == "json"
    records: list[dict] = []
    changed = unchanged = failed = crashed = warned = 0
    progress = Progress.for_stderr(len(jobs), quiet)
    say = progress.message

    stdin_data = None
    if any(j.real == "-" for j in jobs):
        stdin_data = sys.stdin.buffer.read()
    files = [j for j in jobs if j.real != "-"]
    results = run(files, opts, workers)
    if stdin_data is not None:
        results = _chain(process(jobs[0], opts, stdin_data), results)

    try:
        for res in results:
            progress.step()
            if res.crash:
                crashed += 1
                say(f"{res.path}: error: internal error (please report):\n{res.crash}")
                continue
            if res.error:
                failed += 1
                say(res.error)
                records.append({"path": res.path, "error": res.error})
                continue
            for f in res.findings:
                if f.severity == "warning":
                    warned += 1
                if report:
                    records.append(f.record())
                elif f.kind in ("migrate", "policy"):
                    line = f.text(
                        "migrated" if args.command == "apply" else "would migrate"
                    )
                    if args.command == "check":
                        progress.clear()
                        print(line, flush=progress.enabled)
                    elif not quiet:
                        say(line)
                elif f.severity == "warning" or not quiet:
                    say(f.text())
            policy = any(f.kind == "policy" for f in res.findings)
            if res.changed or policy:
                changed += 1
            else:
                unchanged += 1
            if use_cache and res.cacheable:
                cache.add(res.digest, res.findings)
            if res.patch:
                if report:
                    records.append({"path": res.path, "diff": res.patch})
                else:
                    progress.clear()
                    sys.stdout.flush()
                    sys.stdout.buffer.write(
                        res.patch.encode("utf-8", "surrogateescape")
                    )
                    sys.stdout.buffer.flush()
            if res.real == "-" and res.changed:
                if args.command == "apply":
                    sys.stdout.flush()
                    sys.stdout.buffer.write(res.new)
                    sys.stdout.buffer.flush()
                elif args.command == "diff":
                    from .diffs import unified

                    sys.stdout.write(unified(res.old, res.new, "-"))
    finally:
        progress.clear()
        if use_cache:
            cache.save()

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
    if not quiet:
        _err(
            _summary(
                args.command,
                changed,
                unchanged,
                failed + crashed + len(missing),
                policy=devmap is None,
            )
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


def _err(text: str) -> None:
    sys.stderr.write(text + "\n")


def _chain(first: FileResult, rest):
    yield first
    yield from rest


def _out_dir_problem(jobs, out_dir: str) -> str | None:
    """Why --out-dir cannot be used with these files, or None."""
    if any(j.real == "-" for j in jobs):
        return "--out-dir needs files: standard input has no path"
    seen: dict[str, str] = {}
    for job in jobs:
        for rel in job.outs + [r for r, _ in job.links]:
            if rel in seen and seen[rel] != job.path:
                return (
                    f"{seen[rel]} and {job.path} would both be written to "
                    f"{os.path.join(out_dir, rel)}"
                )
            seen[rel] = job.path
            dest = os.path.join(out_dir, rel)
            # (A link there is replaced, not followed: see batch._write_out.)
            if (
                os.path.lexists(dest)
                and not os.path.islink(dest)
                and os.path.samefile(dest, job.real)
            ):
                return f"--out-dir {out_dir} would overwrite the source {job.path}"
    return None


def _counts(changed: int, unchanged: int, failed: int) -> dict:
    return {"changed": changed, "unchanged": unchanged, "failed": failed}


def _files(n: int) -> str:
    return f"{n} file{'' if n == 1 else 's'}"


def _summary(
    command: str, changed: int, unchanged: int, failed: int, policy: bool = False
) -> str:
    if policy:
        n = _files(changed)
        parts = [f"{n} {'uses' if changed == 1 else 'use'} /dev/sd* devices directly"]
        parts.append(f"{_files(unchanged)} passed the policy")
    else:
        verb = "migrated" if command == "apply" else "would be migrated"
        parts = [f"{_files(changed)} {verb}", f"{_files(unchanged)} left unchanged"]
    if failed:
        parts.append(f"{_files(failed)} failed")
    return ", ".join(parts) + "."
