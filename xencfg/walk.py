"""Walking: the files a command takes, each real file once, as Jobs.

Files named on the command line are always taken; files found by walking a
folder must match an include glob and no exclude glob.  Hidden and VCS
folders are skipped, and so are linked folders (not followed) and the
folders in ``skip`` (an --out-dir inside the tree).  A file reached twice (a
symlink in ``auto/`` to ``../web01.cfg``) is one job, shown under its own
name rather than the link's when both are walked.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Iterable
from operator import attrgetter

from .records import Record
from . import rxstore

DEFAULT_INCLUDE = ("*.cfg", "*.sxp", "xend-config.sxp")
SKIP_DIRS = {".git", ".hg", ".svn", "CVS", ".bzr", "_darcs", "__pycache__"}
_NAME = attrgetter("name")


class Job(Record):
    __slots__ = _fields = ("path", "real", "outs", "links")

    def __init__(
        self,
        path: str,  # as the user should see it
        real: str,  # the file to read and write (symlinks resolved)
        # --out-dir: where the converted content goes (relative to DIR), and
        # the symbolic links to reproduce there as (relative path, link text).
        outs: list[str] | None = None,
        links: list[tuple[str, str]] | None = None,
    ) -> None:
        self.path = path
        self.real = real
        self.outs = [] if outs is None else outs
        self.links = [] if links is None else links


class _Entry:
    """One name the walk reached."""

    __slots__ = ("shown", "real", "rel", "link", "is_link", "target")

    def __init__(self, shown, real, rel, link, is_link, target=None) -> None:
        self.shown = shown
        self.real: str | None = real  # None until a pending link is resolved
        self.rel = rel  # relative path ('/' separators) under the walked folder
        self.link: str | None = link  # the text of a relative link in the tree
        self.is_link: bool = is_link
        self.target: str | None = target  # where that link leads, relative too


def collect(
    paths: Iterable[str],
    include: Iterable[str] = (),
    exclude: Iterable[str] = (),
    skip: Iterable[str] = (),
) -> tuple[list[Job], list[str]]:
    """Files to process, each real file once, and errors for missing paths
    and unreadable folders (``skip``: real paths of folders not to walk)."""
    walker = _Walker(include, exclude, skip)
    stdin = False
    for arg in paths:
        if arg == "-":
            stdin = True
            continue
        p = arg or "."  # (as pathlib reads an empty name)
        if os.path.isdir(p):
            top = os.path.normpath(arg)
            walker.walk(arg, "", "" if top == "." else top, os.path.realpath(arg))
        elif os.path.isfile(p):
            walker.entry(arg, os.path.basename(arg), None)
        else:
            walker.errors.append(f"{arg}: error: no such file or directory")
    walker.resolve_pending()
    jobs = _jobs(walker.entries)
    if stdin:
        jobs.insert(0, Job("-", "-"))
    return jobs, walker.errors


class _Walker:
    def __init__(self, include, exclude, skip):
        self.include = tuple(include) or DEFAULT_INCLUDE
        self.exclude = tuple(exclude)
        self.inc_rx = self.exc_rx = None  # compiled when a folder is walked
        self.skip_real = {os.path.realpath(s) for s in skip}
        self.errors: list[str] = []
        self.entries: list[_Entry] = []
        self.pending: list[tuple[int, str, str, str]] = []
        self.walked: set[tuple[str, str]] = set()  # (real root, folder), no links
        self.files: set[str] = set()  # real paths of the plain files taken

    def entry(self, shown, rel, root, real_root="", is_link=None) -> None:
        # realpath() costs a system call per path component: walked files
        # that are not links are found under their folder's real path.
        if is_link is None:
            is_link = os.path.islink(shown)
        link = None
        if root is not None and is_link:
            text = os.readlink(shown)
            inside = os.path.normpath(os.path.join(os.path.dirname(rel), text))
            if not os.path.isabs(text) and not inside.startswith(".."):
                link = text
        if root is not None and not is_link:
            real = _join(real_root, rel)
        elif link is not None:
            # A relative link inside the walked tree: resolved once the walk
            # has seen every folder (see resolve_pending).
            real = None
            self.pending.append((len(self.entries), shown, real_root, inside))
        else:
            real = os.path.realpath(shown)
        rel = rel.replace(os.sep, "/")
        target = None if link is None else inside.replace(os.sep, "/")
        self.entries.append(_Entry(shown, real, rel, link, is_link, target))

    def walk(self, folder: str, rel_dir: str, top: str, real_root: str) -> None:
        # os.scandir gives each entry's type without a stat per file.
        try:
            with os.scandir(folder) as it:
                found = sorted(it, key=_NAME)
        except OSError as e:
            # Not passed over in silence: its configs would go unchecked.
            self.errors.append(f"{folder}: error: cannot read folder: {e.strerror}")
            return
        self.walked.add((real_root, rel_dir))
        if self.inc_rx is None:
            self.inc_rx = _globs(self.include)
            self.exc_rx = _globs(self.exclude)
        subdirs = []
        inc, exc = self.inc_rx.match, self.exc_rx
        # Each name is its folder's prefix plus the entry's name.
        rel_pre = rel_dir + "/" if rel_dir else ""
        shown_pre, real_pre = _join(top, rel_pre), _join(real_root, rel_pre)
        for e in found:
            name = e.name
            if name.startswith("."):
                continue
            rel = rel_pre + name
            if e.is_symlink():
                # Linked folders are not followed; _takes declines them (a
                # stat only for links it has to look through).
                if not (inc(name) or inc(rel)):
                    continue
                if exc is None and self._link_to_file(top, rel, real_root):
                    continue  # (a link to a file this walk took: no stat)
                if self._takes(e, rel):
                    self.entry(shown_pre + name, rel, top, real_root, True)
            elif _is_dir(e):
                if name not in SKIP_DIRS and real_pre + name not in self.skip_real:
                    subdirs.append((e.path, rel))
            elif exc is not None:
                if self._takes(e, rel):
                    self.entry(shown_pre + name, rel, top, real_root, False)
            elif (inc(name) or inc(rel)) and _is_file(e):
                # The common case, inline: a plain file, taken if included.
                real = real_pre + name
                self.files.add(real)
                self.entries.append(_Entry(shown_pre + name, real, rel, None, False))
        for path, rel in subdirs:
            self.walk(path, rel, top, real_root)

    def _link_to_file(self, top: str, rel: str, real_root: str) -> bool:
        """Take the link ``rel`` if it leads, inside the tree, straight to a
        file this walk has taken as a plain file (most autostart links):
        that file is there, so the link is not broken and needs no look."""
        shown = _join(top, rel)
        try:
            text = os.readlink(shown)
        except OSError:
            return False
        inside = os.path.normpath(os.path.join(os.path.dirname(rel), text))
        if os.path.isabs(text) or inside.startswith(".."):
            return False
        if os.path.join(real_root, inside) not in self.files:
            return False
        self.pending.append((len(self.entries), shown, real_root, inside))
        target = inside.replace(os.sep, "/")
        self.entries.append(_Entry(shown, None, rel, text, True, target))
        return True

    def _takes(self, e: os.DirEntry, rel: str) -> bool:
        if not (self.inc_rx.match(e.name) or self.inc_rx.match(rel)):
            return False
        exc = self.exc_rx
        if exc is not None and (exc.match(e.name) or exc.match(rel)):
            return False
        try:
            if e.is_file():
                return True
        except OSError:
            pass
        broken = _broken_link(e.path) if e.is_symlink() else None
        if broken:
            # Not passed over in silence: an autostart link to a config that
            # is gone (or a loop) is a guest nobody checked.
            self.errors.append(f"{e.path}: error: {broken}")
        return False

    def resolve_pending(self) -> None:
        # A link whose target is in a folder the walk reached without links
        # has that folder's real path already; a link to a link needs
        # realpath().
        # (Files the walk took as files need no look: they are no links.)
        files = {e.real for e in self.entries if not e.is_link}
        for i, shown, real_root, inside in self.pending:
            real = os.path.join(real_root, inside)
            folder = os.path.dirname(inside)
            if (real_root, folder) not in self.walked or (
                real not in files and os.path.islink(real)
            ):
                real = os.path.realpath(shown)
            self.entries[i].real = real


def _join(folder: str, rel: str) -> str:
    """os.path.join for a relative ``rel``, without its generality (the walk
    joins once or twice a file)."""
    if not folder:
        return rel
    return folder + rel if folder.endswith("/") else folder + "/" + rel


def _broken_link(path: str) -> str | None:
    """Why the link ``path`` leads nowhere; None if it leads somewhere."""
    try:
        os.stat(path)
    except OSError as e:
        if e.errno == errno.ELOOP:
            return "symbolic link loop"
        try:
            text = os.readlink(path)
        except OSError:
            text = "?"
        return f"dangling symbolic link (to {text}): {e.strerror}"
    return None


def _is_file(e: os.DirEntry) -> bool:
    try:
        return e.is_file()
    except OSError:
        return False


def _is_dir(e: os.DirEntry) -> bool:
    try:
        return e.is_dir()
    except OSError:
        return False


def _jobs(entries: list[_Entry]) -> list[Job]:
    """One job per real file: shown under a name that is not a symlink if the
    walk has one, else under the first name it was reached by."""
    reps: dict[str, int] = {}  # real path -> the entry shown (found order)
    for i, e in enumerate(entries):
        shown = reps.get(e.real)
        if shown is None or (entries[shown].is_link and not e.is_link):
            reps[e.real] = i  # (a dict keeps a key where it was first put)
    contents = {entries[i].rel for i in reps.values()}
    by_real = {real: Job(entries[i].shown, real) for real, i in reps.items()}
    for i, e in enumerate(entries):
        job = by_real[e.real]
        if e.link is None or i == reps[e.real] or e.target not in contents:
            job.outs.append(e.rel)
        else:
            job.links.append((e.rel, e.link))
    return list(by_real.values())


def _globs(globs: Iterable[str]):
    """One regular expression for a set of shell globs (None for no globs)."""
    globs = tuple(globs)
    if not globs:
        return None
    import fnmatch
    import re

    return rxstore.compile("|".join(f"(?:{fnmatch.translate(g)})" for g in globs))
