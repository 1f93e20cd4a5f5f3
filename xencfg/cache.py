"""Skip files already seen unchanged: a cache as black keeps one.

The cache remembers "a file with exactly these bytes was left unchanged by
this version of xencfg (and this code: see ``code_id``), with this map and these options, and these were its
findings".  On a re-run such a file is not parsed again: its findings (the
warnings for a computed disk, the notes on an ``xm list -l`` dump, a policy
error) are replayed as they were, so a cached run says exactly what a fresh
one would.  A file that would change, or that failed, is never cached.

Where: ``$XENCFG_CACHE_DIR`` if set, else ``$XDG_CACHE_HOME/xencfg`` or
``~/.cache/xencfg``, then a folder per version.  One text file per (map,
options) key holds a line per file content: its digest, then (if it had any)
a tab and its findings as JSON (plain text, not pickle: a cache is never
code).  Workers only read it (forked from the parent, they have it loaded); the
parent alone writes it, once at the end of a run, atomically (temp file,
fsync, rename), so parallel workers and concurrent runs never see half a
cache: at worst a concurrent run's entries are lost, which only costs time.
"""

from __future__ import annotations

import os
from functools import lru_cache

from . import __version__
from .cachedir import cache_dir

# SHA-256 as hashlib gives it.  Importing hashlib loads OpenSSL, which costs a
# one-file run more than everything it digests: CPython's own SHA-256 module
# (what hashlib itself falls back to) is taken when there is one.
try:
    from _sha256 import sha256 as _sha256  # CPython up to 3.11
except ImportError:  # pragma: no cover - other versions and interpreters
    try:
        from _sha2 import sha256 as _sha256  # CPython 3.12+
    except ImportError:
        from hashlib import sha256 as _sha256


def digest(data: bytes) -> str:
    """The SHA-256 of ``data`` in hex."""
    return _sha256(data).hexdigest()


def key(devmap, fmt: str, resolve_links: bool) -> str:
    """What, besides a file's bytes, decides its result."""
    if devmap is None:
        map_id = "no-map"
    else:  # what it was read from, or (a map made otherwise) all it holds
        origin = getattr(devmap, "origin", None)
        text = repr(devmap) if origin is None else origin
        map_id = digest(text.encode("utf-8", "surrogatepass"))
    text = f"{__version__}\0{code_id()}\0{map_id}\0{fmt}\0{resolve_links}"
    return digest(text.encode())[:32]


_PACKAGE = os.path.dirname(os.path.abspath(__file__))
CODE_PLACES = (_PACKAGE, os.path.join(os.path.dirname(_PACKAGE), "grammars"))


@lru_cache(maxsize=None)
def code_id() -> str:
    """A digest of xencfg's own code as installed: the name, size and
    modification time of every .py and .lark file of the package (and of
    the checkout's grammars).  Upgrading the code without a version bump
    (an editable install, a hot fix) changes it, so results of the old code
    are never replayed.  One stat per file, once per run: no file is read."""
    rows = []
    for top in CODE_PLACES:
        stack = [top]
        while stack:
            folder = stack.pop()
            try:
                entries = list(os.scandir(folder))
            except OSError:
                continue
            for e in entries:
                if e.name == "__pycache__" or e.name.startswith("."):
                    continue
                if e.is_dir(follow_symlinks=False):
                    stack.append(e.path)
                elif e.name.endswith((".py", ".lark")):
                    try:
                        st = e.stat()
                    except OSError:
                        continue
                    rows.append(f"{e.path}\0{st.st_size}\0{st.st_mtime_ns}")
    rows.sort()
    return digest("\n".join(rows).encode())[:32]


# A finding's fields as the cache keeps them (the path is the file's own).
FIELDS = ("line", "col", "kind", "severity", "message", "old", "new", "domain")


def findings_text(findings) -> str:
    """Findings as one line of JSON (empty when there are none)."""
    if not findings:
        return ""
    import json

    rows = [[getattr(f, k) for k in FIELDS] for f in findings]
    return json.dumps(rows, ensure_ascii=True, separators=(",", ":"))


def findings_from(text: str, path: str) -> list | None:
    """The findings ``findings_text`` wrote, for the file at ``path``; None
    for a damaged entry (the file is then simply read again)."""
    from .transforms.findings import Finding

    if not text:
        return []
    import json

    try:
        rows = json.loads(text)
        if not all(isinstance(r, list) and len(r) == len(FIELDS) for r in rows):
            return None
        return [Finding(**dict(zip(FIELDS, r)), path=path) for r in rows]
    except (ValueError, TypeError):
        return None


def read_text(path: str) -> str:
    try:
        with open(path, "rb") as fh:  # (a text file would load the ascii codec)
            return fh.read().decode("ascii", "replace")
    except OSError:
        return ""  # a missing cache is an empty one


def parse_seen(text: str) -> dict[str, str]:
    """digest -> findings text of each line (the last line of a digest wins)."""
    seen: dict[str, str] = {}
    for line in text.split("\n"):
        file_digest, _, found = line.partition("\t")
        if len(file_digest) == 64:
            seen[file_digest] = found
    return seen


def find_seen(text: str, file_digest: str) -> str | None:
    """What ``parse_seen(text)`` says of ``file_digest``, by searching the
    text: cheaper than reading every line for a few look-ups."""
    if len(file_digest) != 64:
        return None
    end = len(text)
    while True:
        i = text.rfind(file_digest, 0, end)
        if i < 0:
            return None
        after = text[i + 64 : i + 65]
        if (i == 0 or text[i - 1] == "\n") and after in ("", "\t", "\n"):
            stop = text.find("\n", i)
            return text[i : len(text) if stop < 0 else stop].partition("\t")[2]
        end = i + 63


class Cache:
    """The cache file of one key: ``get(digest)`` for the run's look-ups
    (a few search the file's text; more read it into a dict once), ``add``
    and ``save`` for what the run learnt."""

    FEW = 32  # look-ups answered by searching the text

    def __init__(self, key: str, directory: str | None = None):
        self.path = os.path.join(directory or cache_dir(), f"cache.{key}.txt")
        self.text = ""
        self._seen: dict[str, str] | None = {}
        self._asked = 0
        # digest -> findings_text() of the file's findings
        self.new: dict[str, str] = {}

    def load(self) -> "Cache":
        self.text = read_text(self.path)
        self._seen = None
        return self

    @property
    def seen(self) -> dict[str, str]:
        """digest -> findings text of every entry."""
        if self._seen is None:
            self._seen = parse_seen(self.text)
        return self._seen

    def __bool__(self) -> bool:
        return bool(self.text) or bool(self._seen)

    def get(self, file_digest: str, default=None):
        if self._seen is None and self._asked < self.FEW:
            self._asked += 1
            found = find_seen(self.text, file_digest)
            return default if found is None else found
        return self.seen.get(file_digest, default)

    def add(self, file_digest: str, findings=()) -> None:
        found = findings_text(findings)
        if self.get(file_digest) != found:  # new, or a damaged line
            self.new[file_digest] = found

    def save(self) -> None:
        """Write the cache if anything is new; never fails the run."""
        if not self.new:
            return
        if self._seen is None:  # never read whole: the new lines go after it
            old = self.text
            if old and not old.endswith("\n"):
                old += "\n"
            data = (old + _lines(self.new)).encode()
        else:
            data = _lines({**self._seen, **self.new}).encode()
        from .write import replace

        try:
            os.makedirs(os.path.dirname(self.path), exist_ok=True)
            replace(self.path, data)
        except OSError:
            pass


def _lines(entries: dict[str, str]) -> str:
    return "".join(
        f"{d}\t{found}\n" if found else f"{d}\n" for d, found in sorted(entries.items())
    )
