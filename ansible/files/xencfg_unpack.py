"""Unpack the Gather play's raw output into INVENTORY/HOST (control node).

Usage: python xencfg_unpack.py INVENTORY HOST < RAW-OUTPUT

The output of templates/gather.sh.j2 holds sections between markers
(``XENCFG-BEGIN NAME ENCODING`` ... ``XENCFG-END NAME``), each the encoded
output of one command followed by ``XENCFG-STATUS N``; the command's stderr
follows as ``XENCFG-STDERR NAME: ...`` lines.  The markers make the data safe
from what a terminal adds (CR before LF, messages of sudo or of the shell).

Writes INVENTORY/HOST/map.txt, running.txt (when gathered) and etc/xen/ (from
the tar, links kept as links with their text unchanged) into a new folder and
swaps it in, so the host's inventory is always one whole gather.  Nothing is
written when anything failed; the reasons go to stderr and the exit code is 1.
The tar comes from the dom0 and is not trusted: members must stay inside
etc/xen, and nothing is written through a link.
"""

from __future__ import annotations

import base64
import binascii
import io
import os
import re
import shutil
import sys
import tarfile
import tempfile
from pathlib import Path, PurePosixPath

STATUS = re.compile(rb"XENCFG-STATUS (\d+)\n\Z")
NAMES = {"map": "the map command", "running": "the running-state command"}


class Bad(Exception):
    pass


def sections(text: str) -> tuple[dict, dict, list]:
    """{name: (encoding, [lines])}, {name: [stderr lines]}, [errors]."""
    found: dict[str, tuple[str, list[str]]] = {}
    stderr: dict[str, list[str]] = {}
    errors: list[str] = []
    current = None
    done = False
    for raw in text.splitlines():
        line = raw.rstrip("\r")
        if current is not None:
            if line == f"XENCFG-END {current}":
                current = None
            else:
                found[current][1].append(line)
        elif line.startswith("XENCFG-BEGIN "):
            _, name, enc = line.split(" ", 2)
            current = name
            found[name] = (enc, [])
        elif line.startswith("XENCFG-STDERR "):
            name, _, msg = line[len("XENCFG-STDERR ") :].partition(": ")
            stderr.setdefault(name, []).append(msg)
        elif line.startswith("XENCFG-ERROR "):
            errors.append(line[len("XENCFG-ERROR ") :])
        elif line == "XENCFG-DONE":
            done = True
    if current is not None or (not done and not errors):
        errors.append("the output was cut short (no end marker)")
    return found, stderr, errors


def decode(enc: str, lines: list[str]) -> tuple[int, bytes]:
    """The command's status and its output, exactly."""
    text = "".join("".join(lines).split())
    try:
        if enc.endswith("base64"):
            data = base64.b64decode(text, validate=True)
        elif enc.startswith("od "):
            data = bytes.fromhex(text)
        else:
            raise Bad(f"unknown encoding {enc!r}")
    except (binascii.Error, ValueError) as exc:
        raise Bad(f"the data does not decode ({enc}): {exc}") from None
    m = STATUS.search(data)
    if not m:
        raise Bad("the data has no status at its end")
    return int(m.group(1)), data[: m.start()]


def member_path(dest: Path, name: str) -> Path:
    if name.startswith("/"):
        raise Bad(f"{name}: absolute name in the tar")
    parts = [p for p in PurePosixPath(name).parts if p != "."]
    if ".." in parts:
        raise Bad(f"{name}: '..' in the tar")
    path = dest
    for part in parts[:-1]:
        path = path / part
        if path.is_symlink() or (path.exists() and not path.is_dir()):
            raise Bad(f"{name}: its folder {part} is not a folder in the tar")
        if not path.exists():
            path.mkdir()
    return dest.joinpath(*parts) if parts else dest


def extract(data: bytes, dest: Path) -> list[str]:
    """Extract the tar of /etc/xen into dest; returns notes."""
    notes = []
    dest.mkdir(parents=True)
    try:
        tar = tarfile.open(fileobj=io.BytesIO(data), mode="r:")
    except tarfile.TarError as exc:
        raise Bad(f"not a tar: {exc}") from None
    with tar:
        for m in tar:
            path = member_path(dest, m.name)
            if path == dest:
                continue
            if os.path.lexists(path) and not (m.isdir() and path.is_dir()):
                raise Bad(f"{m.name}: twice in the tar")
            if m.isdir():
                path.mkdir(exist_ok=True)
                path.chmod(m.mode & 0o7777 | 0o700)
            elif m.issym():
                os.symlink(m.linkname, path)
            elif m.isfile() or m.islnk():
                if m.islnk():
                    src = member_path(dest, m.linkname)
                    if src.is_symlink() or not src.is_file():
                        raise Bad(f"{m.name}: hard link to {m.linkname}, not a file")
                    body = src.read_bytes()
                else:
                    body = tar.extractfile(m).read()
                flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
                fd = os.open(path, flags, 0o600)
                with os.fdopen(fd, "wb") as f:
                    f.write(body)
                path.chmod(m.mode & 0o777)
                os.utime(path, (m.mtime, m.mtime))
            else:
                notes.append(f"{m.name}: not a file, folder or link; not copied")
    return notes


def same_tree(a: Path, b: Path) -> bool:
    def walk(root: Path) -> dict:
        out = {}
        for dirpath, dirs, files in os.walk(root):
            for n in dirs + files:
                p = Path(dirpath) / n
                rel = str(p.relative_to(root))
                if p.is_symlink():
                    out[rel] = ("link", os.readlink(p))
                elif p.is_file():
                    out[rel] = ("file", p.read_bytes(), p.stat().st_mode)
                else:
                    out[rel] = ("dir",)
        return out

    return a.is_dir() and walk(a) == walk(b)


def unpack(text: str, inventory: Path, host: str) -> tuple[bool, list[str]]:
    """Write INVENTORY/HOST; returns (changed, notes).  Raises Bad."""
    found, stderr, errors = sections(text)
    if errors:
        raise Bad("; ".join(errors))
    for need in ("map", "xen"):
        if need not in found:
            raise Bad(f"no {need} section in the output")
    outputs = {}
    for name, (enc, lines) in found.items():
        status, data = decode(enc, lines)
        if status != 0:
            what = NAMES.get(name, "tar of /etc/xen")
            err = " | ".join(stderr.get(name, [])) or "no message"
            raise Bad(f"{what} failed (status {status}): {err}")
        outputs[name] = data
    # What a command that succeeded said on stderr (KAPL... messages).
    said = [
        f"{NAMES.get(name, 'tar')} said: {line}"
        for name in found
        for line in stderr.get(name, [])
    ]
    inventory.mkdir(parents=True, exist_ok=True)
    final = inventory / host
    work = Path(tempfile.mkdtemp(prefix=f".{host}.", dir=inventory))
    work.chmod(0o755)
    try:
        (work / "map.txt").write_bytes(outputs["map"])
        if "running" in outputs:
            (work / "running.txt").write_bytes(outputs["running"])
        notes = said + extract(outputs["xen"], work / "etc" / "xen")
        if same_tree(final, work):
            return False, notes
        old = None
        if os.path.lexists(final):
            old = Path(tempfile.mkdtemp(prefix=f".{host}.old.", dir=inventory))
            os.replace(final, old / host)
        os.replace(work, final)
        if old is not None:
            shutil.rmtree(old)
        return True, notes
    finally:
        if work.exists():
            shutil.rmtree(work)


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print(__doc__.splitlines()[2], file=sys.stderr)
        return 2
    inventory, host = Path(argv[1]), argv[2]
    if not host or "/" in host or host in (".", ".."):
        print(f"xencfg gather: {host!r} cannot name a folder", file=sys.stderr)
        return 2
    text = sys.stdin.buffer.read().decode("utf-8", "replace")
    try:
        changed, notes = unpack(text, inventory, host)
    except (Bad, OSError) as exc:
        print(f"xencfg gather: {host}: {exc}", file=sys.stderr)
        return 1
    for note in notes:
        print(f"xencfg gather: {host}: note: {note}")
    state = "updated" if changed else "unchanged"
    print(f"xencfg gather: {host}: {inventory / host} {state}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
