"""The control node's half of the Ansible playbook's Gather play:
ansible/files/xencfg_unpack.py, which turns the encoded output of the dom0
(base64 or od hex, between markers) into INVENTORY/HOST.  The dom0 is not
trusted: a hostile tar must not write outside the host's folder."""

from __future__ import annotations

import base64
import importlib.util
import io
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
HELPER = ROOT / "ansible" / "files" / "xencfg_unpack.py"


# -- the control node's unpacking of Gather's output (the dom0 is not trusted) --------
def _unpack_module():
    spec = importlib.util.spec_from_file_location("xencfg_unpack", HELPER)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _tar(members) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.GNU_FORMAT) as tar:
        for name, kind, data in members:
            info = tarfile.TarInfo(name)
            if kind == "file":
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
            elif kind == "sym":
                info.type, info.linkname = tarfile.SYMTYPE, data
                tar.addfile(info)
            elif kind == "hard":
                info.type, info.linkname = tarfile.LNKTYPE, data
                tar.addfile(info)
            else:
                info.type = tarfile.DIRTYPE
                tar.addfile(info)
    return buf.getvalue()


def _output(tar: bytes, enc="base64", status=0, crlf=False) -> str:
    def section(name, data):
        data += f"XENCFG-STATUS {status if name == 'xen' else 0}\n".encode()
        if enc == "base64":
            text = base64.encodebytes(data).decode()
        else:
            text = " ".join(f"{b:02x}" for b in data) + "\n"
        return f"XENCFG-BEGIN {name} {enc}\n{text}XENCFG-END {name}\n"

    out = "noise from sudo\n" + section("map", b"/dev/sddlmaa configured /dev/sda\n")
    out += section("xen", tar) + "XENCFG-DONE\n"
    return out.replace("\n", "\r\n") if crlf else out


@pytest.mark.parametrize("enc", ["base64", "od -An -v -tx1"])
def test_unpack_keeps_bytes_and_links(tmp_path, enc):
    mod = _unpack_module()
    tar = _tar(
        [
            ("./auto", "dir", None),
            ("./web01.cfg", "file", b'name = "web01"\r\n\xff'),
            ("./auto/web01.cfg", "sym", "../web01.cfg"),
            ("./auto/abs.cfg", "sym", "/etc/xen/web01.cfg"),
            ("./copy.cfg", "hard", "./web01.cfg"),
        ]
    )
    changed, notes = mod.unpack(_output(tar, enc, crlf=True), tmp_path, "h")
    assert changed and notes == []
    xen = tmp_path / "h" / "etc" / "xen"
    assert (xen / "web01.cfg").read_bytes() == b'name = "web01"\r\n\xff'
    assert (xen / "copy.cfg").read_bytes() == b'name = "web01"\r\n\xff'
    assert os.readlink(xen / "auto" / "web01.cfg") == "../web01.cfg"
    assert os.readlink(xen / "auto" / "abs.cfg") == "/etc/xen/web01.cfg"
    assert (
        tmp_path / "h" / "map.txt"
    ).read_bytes() == b"/dev/sddlmaa configured /dev/sda\n"
    assert mod.unpack(_output(tar, enc), tmp_path, "h") == (False, [])
    assert sorted(os.listdir(tmp_path)) == ["h"]  # no work folders left


@pytest.mark.parametrize(
    "members, message",
    [
        ([("../evil.cfg", "file", b"x")], "'..' in the tar"),
        ([("/etc/passwd", "file", b"x")], "absolute name"),
        ([("./auto", "sym", "/etc"), ("./auto/x", "file", b"x")], "not a folder"),
        ([("./a.cfg", "file", b"x"), ("./a.cfg", "file", b"y")], "twice in the tar"),
        ([("./l", "sym", "/etc/passwd"), ("./h", "hard", "./l")], "not a file"),
    ],
)
def test_unpack_refuses_a_hostile_tar(tmp_path, members, message):
    mod = _unpack_module()
    (tmp_path / "h").mkdir()
    (tmp_path / "h" / "map.txt").write_text("old\n")
    with pytest.raises(mod.Bad, match=message):
        mod.unpack(_output(_tar(members)), tmp_path, "h")
    # The host's earlier inventory is untouched; nothing written elsewhere.
    assert sorted(os.listdir(tmp_path)) == ["h"]
    assert os.listdir(tmp_path / "h") == ["map.txt"]


def test_unpack_refuses_failures_and_cut_output(tmp_path):
    mod = _unpack_module()
    tar = _tar([("./a.cfg", "file", b"x")])
    with pytest.raises(mod.Bad, match=r"tar of /etc/xen failed \(status 2\)"):
        mod.unpack(_output(tar, status=2), tmp_path, "h")
    cut = _output(tar)
    with pytest.raises(mod.Bad, match="cut short"):
        mod.unpack(cut[: len(cut) // 2], tmp_path, "h")
    with pytest.raises(mod.Bad, match="does not decode"):
        mod.unpack(cut.replace("XENCFG-END map", "#!\nXENCFG-END map"), tmp_path, "h")
    res = subprocess.run(
        [sys.executable, str(HELPER)] + [str(tmp_path), "h"],
        input="XENCFG-ERROR /x/etc/xen: no such folder\n",
        capture_output=True,
        text=True,
    )
    assert res.returncode == 1
    assert res.stderr == "xencfg gather: h: /x/etc/xen: no such folder\n"
    assert not (tmp_path / "h").exists()
