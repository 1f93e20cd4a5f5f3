"""The report of a batch run, as black keeps one: it counts the results,
prints each file's findings and patch, prints the summary line and decides
the exit code.

  0  nothing to do (check, diff), or done (apply)
  1  check / diff --check: something would change (or --strict: warnings)
  2  a file could not be read, parsed or written; the others were done
  123 an internal error
"""

from __future__ import annotations

import sys

from .errors import BAD, CHANGED, INTERNAL, OK
from .lazy import Pattern
from .pipeline import FileResult


class Report:
    def __init__(
        self,
        command: str,
        policy: bool = False,
        json_report: bool = False,
        quiet: bool = False,
        strict: bool = False,
        changes_fail: bool = False,
        progress=None,
    ):
        self.command = command  # check, diff, apply: how results are worded
        self.policy = policy  # no map: the no-/dev/sd* policy alone
        self.json = json_report
        self.quiet = quiet
        self.strict = strict  # exit 1 on warnings too
        self.changes_fail = changes_fail  # exit 1 when anything would change
        self.progress = progress
        self.changed = self.unchanged = self.failed = 0
        self.crashed = self.warned = self.missing = 0
        self.records: list[dict] = []

    def say(self, text: str) -> None:
        if self.progress is not None:
            self.progress.message(text)
        else:
            sys.stderr.write(text + "\n")

    def missing_path(self, message: str) -> None:
        """A path named on the command line (or a link met in a walk) that
        gives no file: counted as failed, in the JSON findings too."""
        self.missing += 1
        self.say(message)
        self.records.append(error_record(message, "missing"))

    def done(self, res: FileResult) -> None:
        """Count one file's result and print what it says."""
        if self.progress is not None:
            self.progress.step()
        if res.crash:
            self.crashed += 1
            text = f"{res.path}: error: internal error (please report)"
            self.say(f"{text}:\n{res.crash}")
            self.records.append(error_record(text, "internal", res.path))
            return
        if res.error:
            self.failed += 1
            self.say(res.error)
            self.records.append(error_record(res.error, None, res.path))
            return
        for f in res.findings:
            self._finding(f)
        if res.changed or any(f.kind == "policy" for f in res.findings):
            self.changed += 1
        else:
            self.unchanged += 1
        if res.patch:
            self._patch(res)

    def _finding(self, f) -> None:
        if f.severity == "warning":
            self.warned += 1
        if self.json:
            self.records.append(f.record())
        elif f.kind in ("migrate", "policy"):
            if self.command != "check" and self.quiet:
                return  # (not worded at all: a batch has thousands)
            line = f.text("migrated" if self.command == "apply" else "would migrate")
            if self.command == "check":
                self._clear()
                print(line, flush=self.progress is not None and self.progress.enabled)
            else:
                self.say(line)
        elif f.severity == "warning" or not self.quiet:
            self.say(f.text())

    def _patch(self, res: FileResult) -> None:
        if self.json:
            self.records.append({"path": res.path, "diff": res.patch})
            return
        self._clear()
        sys.stdout.flush()
        sys.stdout.buffer.write(res.patch.encode("utf-8", "surrogateescape"))
        sys.stdout.buffer.flush()

    def _clear(self) -> None:
        if self.progress is not None:
            self.progress.clear()

    def finish(self) -> int:
        """Print the JSON report and the summary line; the exit code."""
        if self.json:
            import json

            summary = {
                "changed": self.changed,
                "unchanged": self.unchanged,
                "failed": self.failed + self.crashed + self.missing,
            }
            print(json.dumps({"findings": self.records, "summary": summary}, indent=2))
        if not self.quiet:
            sys.stderr.write(self.summary() + "\n")
        return self.exit_code()

    def summary(self) -> str:
        failed = self.failed + self.crashed + self.missing
        if self.policy:
            n = _files(self.changed)
            verb = "uses" if self.changed == 1 else "use"
            parts = [f"{n} {verb} /dev/sd* devices directly"]
            parts.append(f"{_files(self.unchanged)} passed the policy")
        else:
            verb = "migrated" if self.command == "apply" else "would be migrated"
            parts = [
                f"{_files(self.changed)} {verb}",
                f"{_files(self.unchanged)} left unchanged",
            ]
        if failed:
            parts.append(f"{_files(failed)} failed")
        return ", ".join(parts) + "."

    def exit_code(self) -> int:
        if self.crashed:
            return INTERNAL
        if self.failed or self.missing:
            return BAD
        if self.changed and self.changes_fail:
            return CHANGED
        if self.strict and self.warned:
            return CHANGED
        return OK


_LOCATED = Pattern(r"^(?P<path>.*?):(?P<line>\d+):(?P<col>\d+): error: ")


def error_record(text: str, kind: str | None, path: str | None = None) -> dict:
    """A --report json record of an error line ``PATH[:LINE:COL]: error: ...``:
    path, line, column (null when the error has no place), kind (parse,
    read, write, missing, internal), severity and message."""
    line = col = None
    m = _LOCATED.match(text)
    if m:
        line, col = int(m["line"]), int(m["col"])
        path = path or m["path"]
        message = text[m.end() :]
    else:
        head, sep, message = text.partition(": error: ")
        path = path or (head if sep else "-")
        message = message if sep else text
    if kind is None:
        kind = "write" if message.startswith("cannot write") else "read"
        kind = "parse" if m else kind
    return {
        "path": path,
        "line": line,
        "column": col,
        "kind": kind,
        "severity": "error",
        "message": message,
        "error": text,
    }


def _files(n: int) -> str:
    return f"{n} file{'' if n == 1 else 's'}"
