"""Skip files already seen unchanged: a cache as black keeps one.

The cache remembers only one thing: "a file with exactly these bytes was left
unchanged, with no findings at all, by this version of xencfg, with this map
and these options".  A file with a change or any finding (a warning, a note)
is never cached, so its messages show again on every run.

Where: ``$XENCFG_CACHE_DIR`` if set, else ``$XDG_CACHE_HOME/xencfg`` or
``~/.cache/xencfg``, then a folder per version.  One text file per (map, options)
key holds the content digests, one a line (plain text, not pickle: a cache
is never code).  Workers only read the set (it is
handed to them when they start); the parent alone writes it, once at the end
of a run, atomically (temp file, fsync, rename), so parallel workers and
concurrent runs never see half a cache: at worst a concurrent run's entries
are lost, which only costs time.
"""

from __future__ import annotations

import hashlib
import os
import tempfile

from . import __version__


def cache_dir() -> str:
    base = os.environ.get("XENCFG_CACHE_DIR")
    if not base:
        xdg = os.environ.get("XDG_CACHE_HOME") or os.path.join(
            os.path.expanduser("~"), ".cache"
        )
        base = os.path.join(xdg, "xencfg")
    return os.path.join(base, __version__)


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def key(devmap, fmt: str, resolve_links: bool) -> str:
    """What, besides a file's bytes, decides its result."""
    map_id = "no-map" if devmap is None else digest(repr(devmap).encode())
    text = f"{__version__}\0{map_id}\0{fmt}\0{resolve_links}"
    return digest(text.encode())[:32]


class Cache:
    def __init__(self, key: str, directory: str | None = None):
        self.path = os.path.join(directory or cache_dir(), f"cache.{key}.txt")
        self.seen: frozenset[str] = frozenset()
        self.new: set[str] = set()

    def load(self) -> "Cache":
        try:
            with open(self.path, encoding="ascii", errors="replace") as fh:
                self.seen = frozenset(
                    line for line in fh.read().split() if len(line) == 64
                )
        except OSError:
            self.seen = frozenset()  # a missing cache is an empty one
        return self

    def add(self, file_digest: str) -> None:
        if file_digest not in self.seen:
            self.new.add(file_digest)

    def save(self) -> None:
        """Write the cache if anything is new; never fails the run."""
        if not self.new:
            return
        folder = os.path.dirname(self.path)
        try:
            os.makedirs(folder, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".xencfg-", suffix=".tmp", dir=folder)
            try:
                with os.fdopen(fd, "wb") as fh:
                    fh.write("\n".join(sorted(self.seen | self.new)).encode() + b"\n")
                    fh.flush()
                    os.fsync(fh.fileno())
                os.replace(tmp, self.path)
            except BaseException:
                try:
                    os.unlink(tmp)
                except OSError:
                    pass
                raise
        except OSError:
            pass
