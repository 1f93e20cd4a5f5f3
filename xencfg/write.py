"""Atomic writing: a temp file in the same folder, fsync, rename.

Used by ``apply`` (in place and --out-dir copies) and by the cache.  A killed
run leaves the old or the new file, never half of one (a SIGKILL between
creating and renaming the temp file may leave a ``.xencfg-*.tmp`` behind; a
normal run never does).  Temp names are hidden, so a walk never takes them.
"""

from __future__ import annotations

import itertools
import os
from stat import S_ISLNK

TMP_PREFIX, TMP_SUFFIX = ".xencfg-", ".tmp"

_TMP_COUNT = itertools.count()


def write_atomic(path: str, data: bytes, backup: str | None = None) -> list[str]:
    """Replace ``path`` with ``data``.  Mode, owner and group are kept.  A
    symlink stays a symlink: its target is rewritten.  ``backup`` keeps the
    original as PATH+SUFFIX (written before the file is replaced), never
    over an existing file: PATH+SUFFIX.1, .2, ... when that name is taken.

    Returns warnings (plain text, no path) for what could not be kept: the
    owner or group (not root), or the other names of a hard-linked file
    (the rename gives PATH a new inode; the other names keep the old text).
    """
    real = os.path.realpath(path)
    st = os.stat(real)
    warnings = []
    if backup:
        with open(real, "rb") as fh:
            replace(free_name(real + backup), fh.read(), st)
    if st.st_nlink > 1:
        warnings.append(
            f"hard link split: {real} had {st.st_nlink} names; only this one "
            "gets the new text, the others keep the old"
        )
    if not replace(real, data, st):
        warnings.append(
            f"owner and group not kept: {real} is now owned by uid "
            f"{os.getuid()} gid {os.getgid()} (was {st.st_uid}:{st.st_gid}; "
            "run as root to keep them)"
        )
    return warnings


def free_name(name: str) -> str:
    """``name``, or the first of name.1, name.2, ... that does not exist."""
    if not os.path.lexists(name):
        return name
    n = 1
    while os.path.lexists(f"{name}.{n}"):
        n += 1
    return f"{name}.{n}"


def temp_path(folder: str) -> str:
    """A fresh temp name in ``folder`` (hidden, so a walk never takes it)."""
    sep = "" if folder.endswith("/") else "/"
    return f"{folder}{sep}{TMP_PREFIX}{os.getpid()}-{next(_TMP_COUNT)}{TMP_SUFFIX}"


_NEW_FILE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
_NEW_FILE |= getattr(os, "O_NOFOLLOW", 0)


def _create_temp(folder: str, mode: int = 0o600) -> tuple[int, str]:
    """A new, empty file in ``folder`` (private unless ``mode`` says other):
    (descriptor, path)."""
    while True:
        path = temp_path(folder)
        try:
            return os.open(path, _NEW_FILE, mode), path
        except FileExistsError:  # left by a killed run of a process with our pid
            continue


# What a new file gets without asking, learnt once in a run (``known``: the
# process's umask, and the owner and group new files get in each folder
# written, as a folder with the set-group-ID bit gives its own group).  A
# copy made with the right mode, owner and group needs no chown or chmod:
# two system calls of six, for each file of a big --out-dir.


def _creation_mode(st: os.stat_result | None, known: dict | None) -> int:
    """The mode to create a file for ``st`` with: its own when the umask
    leaves it whole and it has no special bits (else private, and chmod)."""
    if st is None or known is None:
        return 0o600
    mask = known.get("umask")
    if mask is None:
        mask = known["umask"] = os.umask(0o022)
        os.umask(mask)
    mode = st.st_mode & 0o7777
    return mode if mode & ~0o777 == 0 and mode & mask == 0 else 0o600


def replace(
    dest: str,
    data: bytes,
    st: os.stat_result | None = None,
    durable: bool = True,
    folder: str | None = None,  # dest's folder, if the caller has it
    known: dict | None = None,  # what new files get, learnt in this run
) -> bool:
    """Write ``data`` to ``dest`` atomically; with ``st``, its mode, owner and
    group (else a private 0600 file); ``durable``: fsync file and folder.
    False when the owner and group of ``st`` could not be given."""
    owner_kept = True
    if folder is None:
        folder = os.path.dirname(dest) or "."
    mode = _creation_mode(st, known)
    fd, tmp = _create_temp(folder, mode)
    try:
        try:
            done = os.write(fd, data)
            if done < len(data):  # a short write: the rest, until all is out
                view = memoryview(data)[done:]
                while view:
                    view = view[os.write(fd, view) :]
            if st is not None:
                owner_kept = _keep_owner_mode(fd, st, mode, known, folder)
            if durable:
                os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, dest)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    if durable:
        _fsync_dir(folder)
    return owner_kept


def _keep_owner_mode(
    fd: int, st: os.stat_result, mode: int, known: dict | None, folder: str
) -> bool:
    """Give the new file ``fd`` (made in ``folder`` with ``mode``) the owner,
    group and mode of ``st``; False when the owner and group could not be."""
    kept = True
    new = None
    if known is not None:
        new = known.get(folder)
        if new is None:
            made = os.fstat(fd)
            new = known[folder] = (made.st_uid, made.st_gid)
    if new != (st.st_uid, st.st_gid):
        try:
            os.fchown(fd, st.st_uid, st.st_gid)
        except PermissionError:
            # Not root: the file becomes ours, as any editor would leave it;
            # the caller says so (unless it was ours anyway).
            kept = (st.st_uid, st.st_gid) == (os.getuid(), os.getgid())
        mode = -1  # (chown clears set-user-ID bits: the mode goes after)
    if mode != st.st_mode & 0o7777:
        os.fchmod(fd, st.st_mode & 0o7777)
    return kept


def replace_link(dest: str, text: str) -> None:
    """Make ``dest`` a symbolic link with ``text``, atomically; a file or link
    already there is replaced, never followed."""
    folder = os.path.dirname(dest) or "."
    if os.path.islink(dest) and os.readlink(dest) == text:
        return
    while True:
        tmp = temp_path(folder)
        try:
            os.symlink(text, tmp)
            break
        except FileExistsError:  # left by a killed run with our pid
            continue
    try:
        os.replace(tmp, dest)
    except BaseException:
        os.unlink(tmp)
        raise


def write_copies(
    real: str,
    data: bytes,
    st: os.stat_result,
    outs: list[str],
    links: list[tuple[str, str]],
    out_dir: str,
    made: set[str],
    fresh: set[str] | None = None,
    known: dict | None = None,
) -> None:
    """--out-dir: write ``data`` to each path of ``outs`` under ``out_dir``
    and make the ``links``; never into the source ``real``.  ``made`` holds
    the folders this process has made (or found) already, ``fresh`` those of
    them that did not exist before this run, ``known`` what new files get
    (see ``_creation_mode``)."""
    if fresh is None:
        fresh = set()
    for rel in outs:
        dest = _join(out_dir, rel)
        folder = os.path.dirname(dest) or "."
        _make_folder(folder, made, fresh)
        try:
            # A folder this run made holds only this run's copies, each
            # written once: nothing to check there (one system call less).
            found = None if folder in fresh else os.lstat(dest)
        except FileNotFoundError:
            found = None  # a new file: the usual case, nothing to check
        if found is not None:
            # A link already there is replaced, never followed: a copy is
            # never written outside DIR.  The file itself (DIR reaching into
            # the tree through a folder link) is never written at all.
            if not S_ISLNK(found.st_mode) and os.path.samefile(dest, real):
                raise OSError(0, "refusing to write into the source", dest)
        # No fsync for copies: a killed run still leaves each one old or new
        # (the rename is atomic); only a power cut could, and the source is
        # untouched anyway.
        replace(dest, data, st, durable=False, folder=folder, known=known)
    for rel, text in links:
        dest = _join(out_dir, rel)
        folder = os.path.dirname(dest) or "."
        _make_folder(folder, made, fresh)
        if folder in fresh:
            # A folder this run made holds only this run's links, each made
            # once: the link is made in place (a symlink is made whole).
            try:
                os.symlink(text, dest)
                continue
            except FileExistsError:
                pass
        replace_link(dest, text)


def _join(folder: str, rel: str) -> str:
    """os.path.join of a folder and a relative path, without its generality
    (done once a file)."""
    if not folder:
        return rel
    return folder + rel if folder.endswith(("/", os.sep)) else folder + "/" + rel


def _make_folder(folder: str, made: set[str], fresh: set[str]) -> None:
    if folder not in made:
        if not os.path.isdir(folder):
            os.makedirs(folder, exist_ok=True)
            fresh.add(folder)
        made.add(folder)


def _fsync_dir(folder: str) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
