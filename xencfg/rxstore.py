"""Compiled regular expressions kept between runs.

``re.compile`` parses a pattern and generates the engine's program in pure
Python: a one-file check compiles some twenty patterns, a third of the time
it spends on top of the interpreter's start.  A program (a list of
integers) depends only on the pattern, the flags and the Python build, so a
batch keeps the programs it compiled in the cache folder (``re.TAG.bin``,
TAG naming the Python build), and a later run hands each straight to the
engine (``_sre.compile``, the step ``re.compile`` itself ends with).

Nothing here can change what a pattern matches: a program is taken only
from a store written by the same Python build (its full version line heads
the file) for the same pattern text and flags, and the engine checks every
program it is given.  A store that is missing, damaged, another build's or
refused is passed over and ``re.compile`` does the work, as without one.
The store is data (pattern text and integers), never code.
"""

from __future__ import annotations

import os
import re
import sys

try:  # the engine and re's own parser and code generator (private, checked)
    import _sre
    from re import _compiler, _parser  # Python 3.11+
except ImportError:  # pragma: no cover - Python 3.10
    try:
        import _sre
        import sre_compile as _compiler
        import sre_parse as _parser
    except ImportError:
        _sre = None

from .cachedir import cache_dir

# The build, as programs depend on it: written first in the store.
_BUILD = (
    f"{sys.version}|{sys.implementation.cache_tag}|"
    f"{getattr(_sre, 'MAGIC', '')}|{getattr(_sre, 'CODESIZE', '')}|"
    f"{getattr(_sre, 'MAXREPEAT', '')}|{getattr(_sre, 'MAXGROUPS', '')}"
)
# (memoryview casts a program to words: the array module is not imported
# for a store read, only for one written)
_WORD = memoryview(bytes(8)).cast("I").itemsize
_USABLE = _sre is not None and _WORD == getattr(_sre, "CODESIZE", 0)

# (pattern, flags) -> (flags, code, groups, groupindex, indexgroup), or the
# raw bytes of the code until first used; None until the store is read.
_STORE: dict | None = None
_MAX_BYTES = 4 << 20  # a bigger file is no store of ours: not read
_ADDED: list[tuple[str, int]] = []


def compile(pattern: str, flags: int = 0) -> re.Pattern:
    """``re.compile(pattern, flags)``, from the store when it has it."""
    if not _USABLE:
        return re.compile(pattern, flags)
    store = _STORE if _STORE is not None else _load()
    entry = store.get((pattern, flags))
    if entry is not None:
        try:
            if len(entry) == 4:  # as read from the file
                entry = store[(pattern, flags)] = _read_entry(entry)
            return _engine(pattern, entry)
        except Exception:  # refused by the engine: as without a store
            store.pop((pattern, flags), None)
    try:
        entry = _program(pattern, flags)
        rx = _engine(pattern, entry)
    except Exception:  # (whatever re itself would say)
        return re.compile(pattern, flags)
    store[(pattern, flags)] = entry
    _ADDED.append((pattern, flags))
    return rx


def _program(pattern: str, flags: int) -> tuple:
    """What ``re.compile`` hands the engine for ``pattern``."""
    parsed = _parser.parse(pattern, flags)
    code = _compiler._code(parsed, flags)
    state = parsed.state
    indexgroup = [None] * state.groups
    for name, i in state.groupdict.items():
        indexgroup[i] = name
    groupindex = dict(state.groupdict)
    flags = int(flags | state.flags)  # (an int, as the store keeps it)
    return flags, code, state.groups - 1, groupindex, tuple(indexgroup)


def _engine(pattern: str, entry: tuple) -> re.Pattern:
    flags, code, groups, groupindex, indexgroup = entry
    if not isinstance(code, list):
        code = memoryview(code).cast("I").tolist()
    return _sre.compile(pattern, flags, code, groups, groupindex, indexgroup)


def store_path() -> str:
    tag = _check(_BUILD.encode("utf-8", "surrogatepass"))[:8]
    return os.path.join(cache_dir(), f"re.{tag}.bin")


def _check(data: bytes) -> str:
    # (the cache's SHA-256, loaded anyway: no zlib to load for a checksum)
    from .cache import digest

    return digest(data)[:16]


def _load() -> dict:
    global _STORE
    _STORE = {}
    try:
        with open(store_path(), "rb") as fh:
            data = fh.read(_MAX_BYTES + 1)  # (a store is tens of KB)
        if len(data) <= _MAX_BYTES:
            _STORE = decode(data)
    except (OSError, ValueError, UnicodeError, IndexError, KeyError):
        pass
    return _STORE


# The file: the build line (with a checksum of the rest), then per pattern a line
# "FLAGS_IN FLAGS_OUT GROUPS PATTERN_BYTES CODE_WORDS NAME=I,NAME=I",
# the pattern (UTF-8) and the code (native unsigned words).


def encode(store: dict) -> bytes:
    from array import array

    out = []
    for (pattern, flags_in), entry in store.items():
        if len(entry) == 4:
            entry = _read_entry(entry)
        flags, code, groups, groupindex, _ = entry
        if not isinstance(code, list):
            code = memoryview(code).cast("I").tolist()
        text = pattern.encode("utf-8", "surrogatepass")
        names = ",".join(f"{k}={v}" for k, v in groupindex.items())
        head = (
            f"{int(flags_in)} {int(flags)} {groups} {len(text)} {len(code)} {names}\n"
        )
        out += [head.encode("ascii"), text, array("I", code).tobytes()]
    body = b"".join(out)
    # (the checksum: a flipped bit in a program would change what it matches)
    head = f"{_BUILD}\t{_check(body)}\n".encode("utf-8", "surrogatepass")
    return head + body


def decode(data: bytes) -> dict:
    """The store in ``data``; ValueError (or another) if it is not one of
    this build's."""
    end = data.index(b"\n")
    build, _, check = data[:end].decode("utf-8", "surrogatepass").rpartition("\t")
    if build != _BUILD:
        raise ValueError("another build's store")
    if check != _check(data[end + 1 :]):
        raise ValueError("damaged")
    store, pos, size = {}, end + 1, _WORD
    while pos < len(data):
        end = data.index(b"\n", pos)
        flags_in, flags, groups, n_text, n_code, *names = data[pos:end].split(b" ")
        pos = end + 1
        pattern = data[pos : pos + int(n_text)].decode("utf-8", "surrogatepass")
        pos += int(n_text)
        code = data[pos : pos + int(n_code) * size]
        if len(code) != int(n_code) * size:
            raise ValueError("cut short")
        pos += len(code)
        # (the rest read when the pattern is first asked for: most runs
        # need a few of the patterns the store has)
        store[(pattern, int(flags_in))] = (flags, code, groups, b" ".join(names))
    return store


def _read_entry(raw: tuple) -> tuple:
    """A stored entry, as _program gives it."""
    flags, code, groups, names = raw
    groupindex = {}
    for item in names.decode("ascii").split(","):
        if item:
            name, _, index = item.partition("=")
            groupindex[name] = int(index)
    indexgroup = [None] * (int(groups) + 1)
    for name, i in groupindex.items():
        indexgroup[i] = name
    return int(flags), code, int(groups), groupindex, tuple(indexgroup)


def save() -> None:
    """Write the store if this run compiled anything new (quietly: a
    store that cannot be written only costs the next run time)."""
    if not _ADDED or _STORE is None:
        return
    from .write import replace

    try:
        path = store_path()
        os.makedirs(os.path.dirname(path), exist_ok=True)
        replace(path, encode(_STORE), durable=False)
    except (OSError, ValueError, UnicodeError):
        return
    _ADDED.clear()
