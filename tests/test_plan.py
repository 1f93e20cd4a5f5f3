"""``xencfg plan``: the runbook, and its script run against a temporary tree.

The script runs with stub ``xm`` and ``xl`` commands on PATH that record
each call together with what the tree looked like at that moment (is the
autostart link in place, which disk the config names), so the tests can
assert the order of operations.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from xencfg.cli import main

from conftest import SAMPLES

HOST = SAMPLES / "host"

STUB = r"""#!/bin/bash
# Stub toolstack: records "TOOL ARGS | link=0/1 web01=DEV" and keeps the
# running domains as files in $STUB_STATE.
st="$STUB_STATE"
tool="$(basename "$0")"
link=0; [ -L "$STUB_LINK" ] && link=1
dev=$(grep -o 'phy:/dev/sd[a-z]*' "$STUB_CFG" | head -n 1)
echo "$tool $* | link=$link web01=$dev" >> "$STUB_LOG"
case "$1" in
    list)
        if [ "${2:-}" = -l ]; then cat "$st/$3.sxp" 2>/dev/null; exit 0; fi
        [ -e "$st/$2" ] ;;
    shutdown)
        if [ -n "${STUB_FAIL:-}" ]; then echo "stub: cannot stop $3" >&2; exit 1; fi
        rm -f "$st/$3" ;;
    create)
        n=$(sed -n 's/^name *= *"\(.*\)"/\1/p' "$2"); touch "$st/$n" ;;
    start)
        touch "$st/$2" ;;
esac
"""


@pytest.fixture
def host(tmp_path):
    """A copy of samples/host, stub xm/xl, and a state folder."""
    root = tmp_path / "host"
    shutil.copytree(HOST, root, symlinks=True)
    bin_ = tmp_path / "bin"
    bin_.mkdir()
    for tool in ("xm", "xl"):
        (bin_ / tool).write_text(STUB)
        (bin_ / tool).chmod(0o755)
    state = tmp_path / "state"
    state.mkdir()
    # As in xm-list-l.txt: web01 and mail01 run, db01 does not.
    (state / "web01").touch()
    (state / "mail01").touch()
    (state / "mail01.sxp").write_text(
        "(domain (name mail01) (device (vbd (uname phy:/dev/sddlmae))))\n"
    )
    return root


def xen(host: Path) -> Path:
    return host / "etc" / "xen"


def plan(host, capsys, *extra, fmt="text", paths=None, dump=True, auto=True):
    argv = ["plan", "--map", str(host / "dlmcfgmgr-v.txt"), "--format", fmt]
    if dump:
        argv += ["--running", str(host / "xm-list-l.txt")]
    if auto:
        argv += ["--auto-dir", str(xen(host) / "auto")]
    argv += list(extra)
    argv += [str(p) for p in (paths or [xen(host)])]
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def run_script(host, script: str, yes=True, fail=False, env=None, **kw):
    path = host.parent / "run.sh"
    path.write_text(script)
    e = dict(os.environ)
    e["PATH"] = f"{host.parent / 'bin'}:{e['PATH']}"
    e["STUB_STATE"] = str(host.parent / "state")
    e["STUB_LOG"] = str(host.parent / "calls.log")
    e["STUB_LINK"] = str(xen(host) / "auto" / "web01.cfg")
    e["STUB_CFG"] = str(xen(host) / "web01.cfg")
    e.pop("XENCFG_YES", None)
    e.pop("XENCFG_ROOT", None)
    if yes:
        e["XENCFG_YES"] = "1"
    if fail:
        e["STUB_FAIL"] = "1"
    e.update(env or {})
    return subprocess.run(
        ["bash", str(path)],
        env=e,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        start_new_session=True,  # no controlling terminal: /dev/tty fails
        timeout=60,
        **kw,
    )


def calls(host) -> list[str]:
    log = host.parent / "calls.log"
    return log.read_text().splitlines() if log.exists() else []


def snapshot(root: Path) -> dict[str, tuple[str, str]]:
    out = {}
    for p in sorted(root.rglob("*")):
        rel = str(p.relative_to(root))
        if p.is_symlink():
            out[rel] = ("link", os.readlink(p))
        elif p.is_file():
            out[rel] = ("file", p.read_text())
        else:
            out[rel] = ("dir", "")
    return out


# -- the samples ------------------------------------------------------------------
def test_samples_layout():
    link = HOST / "etc" / "xen" / "auto" / "web01.cfg"
    assert link.is_symlink() and os.readlink(link) == "../web01.cfg"
    assert "(on_xend_start start)" in (HOST / "xm-list-l.txt").read_text()


def test_text_plan(host, capsys):
    code, out, err = plan(host, capsys)
    assert code == 0
    head = out.splitlines()[0]
    assert head == "xencfg plan: 3 domains to migrate; 1 cannot be migrated (see below)"
    # The blocked domain comes first, with its reason and no steps.
    blocked = out.index("Cannot be migrated")
    assert blocked < out.index("== db01")
    assert "legacy" in out[blocked : out.index("== db01")]
    assert "computed" in out[blocked : out.index("== db01")]
    assert "== legacy" not in out
    assert "legacy cannot be migrated" in err
    web = out[out.index("== web01") : out.index("== mail01")]
    order = [
        "HDLM step 1",
        "phy:/dev/sda -> phy:/dev/sddlmaa",
        "HDLM step 2",
        "xm shutdown -w web01",
        "suspend autostart: mv",
        "(recorded: -> ../web01.cfg)",
        "patch the config",
        '+disk = [ "phy:/dev/sddlmaa,xvda,w",',
        "HDLM step 6",
        "xm create " + str(xen(host) / "web01.cfg"),
        "restore autostart: mv",
    ]
    pos = [web.index(s) for s in order]
    assert pos == sorted(pos)
    db = out[out.index("== db01") : out.index("== web01")]
    assert "not running per DUMP" in db and "not started" in db
    mail = out[out.index("== mail01") :]
    assert "xend-managed" in mail and "xm start mail01" in mail
    assert "(on_xend_start start)" in mail and "phy:/dev/sddlmae" in mail
    assert out.rstrip().endswith("Nothing to do: dns01")


def test_json_plan(host, capsys):
    code, out, _ = plan(host, capsys, fmt="json")
    assert code == 0
    doc = json.loads(out)
    assert doc["summary"] == {"migrate": 3, "blocked": 1, "nothing_to_do": 1}
    assert [b["name"] for b in doc["blocked"]] == ["legacy"]
    names = [d["name"] for d in doc["domains"]]
    assert names == ["db01", "web01", "mail01"]
    web = doc["domains"][1]
    ops = [s["op"] for s in web["steps"]]
    assert ops == [
        "disks",
        "verdict",
        "stop",
        "suspend-autostart",
        "patch",
        "checkpoint",
        "start",
        "restore-autostart",
    ]
    (link,) = web["steps"][3]["links"]
    assert link["target"] == "../web01.cfg"
    assert web["steps"][2]["command"] == ["xm", "shutdown", "-w", "web01"]
    assert web["steps"][6]["command"] == ["xm", "create", web["config"]]
    assert doc["domains"][2]["managed"] is True


# -- the script -----------------------------------------------------------------
def test_script_runs_in_order_and_restores_autostart(host, capsys):
    code, script, _ = plan(host, capsys, fmt="sh")
    assert code == 0
    assert script.startswith("#!/bin/bash")
    assert "set -euo pipefail" in script
    assert "<<'XENCFG_PATCH'" in script  # the patch travels inside
    before = snapshot(xen(host))
    res = run_script(host, script)
    assert res.returncode == 0, res.stdout + res.stderr
    cfg = str(xen(host) / "web01.cfg")
    assert calls(host) == [
        "xm list db01 | link=1 web01=phy:/dev/sda",
        "xm list web01 | link=1 web01=phy:/dev/sda",
        "xm shutdown -w web01 | link=1 web01=phy:/dev/sda",
        f"xm create {cfg} | link=0 web01=phy:/dev/sddlmaa",
        "xm list mail01 | link=1 web01=phy:/dev/sddlmaa",
        "xm shutdown -w mail01 | link=1 web01=phy:/dev/sddlmaa",
        "xm list -l mail01 | link=1 web01=phy:/dev/sddlmaa",
        "xm start mail01 | link=1 web01=phy:/dev/sddlmaa",
    ]
    after = snapshot(xen(host))
    # The autostart links are back exactly; no parking folder is left.
    assert (
        after["auto/web01.cfg"]
        == before["auto/web01.cfg"]
        == (
            "link",
            "../web01.cfg",
        )
    )
    assert after["auto/dns01.cfg"] == before["auto/dns01.cfg"]
    assert set(after) == set(before)
    assert (
        "sddlmaa" in after["web01.cfg"][1] and "/dev/sda," not in after["web01.cfg"][1]
    )
    assert "sddlmad" in after["db01.cfg"][1]
    assert after["legacy.cfg"] == before["legacy.cfg"]
    assert "CHECKPOINT" in res.stdout and "all done" in res.stdout

    # A second plan after the run has nothing to do.
    code, out, _ = plan(host, capsys, dump=False)
    assert code == 0
    assert out.startswith("xencfg plan: nothing to migrate")
    assert "== " not in out
    code, out, _ = plan(host, capsys, dump=False, fmt="json")
    assert json.loads(out)["domains"] == []


def test_failing_stop_touches_nothing(host, capsys):
    _, script, _ = plan(host, capsys, fmt="sh", paths=[xen(host) / "web01.cfg"])
    before = snapshot(xen(host))
    res = run_script(host, script, fail=True)
    assert res.returncode != 0
    assert "stop (step 3)" in res.stderr
    assert snapshot(xen(host)) == before
    assert calls(host)[-1].startswith("xm shutdown -w web01")
    assert not any("create" in c or "start" in c for c in calls(host))


def test_failing_stop_halts_the_whole_run(host, capsys):
    _, script, _ = plan(host, capsys, fmt="sh")
    res = run_script(host, script, fail=True)
    assert res.returncode != 0
    assert [c.split(" |")[0] for c in calls(host)] == [
        "xm list db01",
        "xm list web01",
        "xm shutdown -w web01",
    ]
    web = xen(host) / "web01.cfg"
    assert "phy:/dev/sda," in web.read_text()
    assert os.readlink(xen(host) / "auto" / "web01.cfg") == "../web01.cfg"


def test_config_changed_since_plan_is_refused(host, capsys):
    _, script, _ = plan(host, capsys, fmt="sh", paths=[xen(host) / "web01.cfg"])
    web = xen(host) / "web01.cfg"
    web.write_text(web.read_text() + "# edited\n")
    before = snapshot(xen(host))
    res = run_script(host, script)
    assert res.returncode != 0
    assert "changed since the plan" in res.stderr
    assert snapshot(xen(host)) == before
    assert calls(host) == []


def test_state_differs_from_dump_is_refused(host, capsys):
    _, script, _ = plan(host, capsys, fmt="sh", paths=[xen(host) / "web01.cfg"])
    (host.parent / "state" / "web01").unlink()  # stopped since the dump
    before = snapshot(xen(host))
    res = run_script(host, script)
    assert res.returncode != 0
    assert "make the plan again" in res.stderr
    assert snapshot(xen(host)) == before


def test_no_terminal_and_no_yes_stops(host, capsys):
    _, script, _ = plan(host, capsys, fmt="sh")
    before = snapshot(xen(host))
    res = run_script(host, script, yes=False)
    assert res.returncode != 0
    assert "--yes" in res.stderr
    assert snapshot(xen(host)) == before and calls(host) == []


def test_yes_flag(host, capsys):
    _, script, _ = plan(host, capsys, fmt="sh", paths=[xen(host) / "web01.cfg"])
    path = host.parent / "run.sh"
    res = run_script(host, script, yes=False)  # writes run.sh; fails, no tty
    assert res.returncode != 0
    e = dict(os.environ)
    e.update(
        PATH=f"{host.parent / 'bin'}:{e['PATH']}",
        STUB_STATE=str(host.parent / "state"),
        STUB_LOG=str(host.parent / "calls.log"),
        STUB_LINK=str(xen(host) / "auto" / "web01.cfg"),
        STUB_CFG=str(xen(host) / "web01.cfg"),
    )
    e.pop("XENCFG_YES", None)
    res = subprocess.run(
        ["bash", str(path), "--yes"], env=e, capture_output=True, text=True
    )
    assert res.returncode == 0, res.stderr
    assert "sddlmaa" in (xen(host) / "web01.cfg").read_text()


# -- toolstacks, links, relocation ---------------------------------------------------
def test_xl_without_dump_checks_at_run_time(host, capsys):
    code, script, _ = plan(host, capsys, "--toolstack", "xl", fmt="sh", dump=False)
    assert code == 0
    assert "mail01" not in script  # only the dump knows xend-managed domains
    res = run_script(host, script)
    assert res.returncode == 0, res.stderr
    cfg = str(xen(host) / "web01.cfg")
    assert [c.split(" |")[0] for c in calls(host)] == [
        "xl list db01",
        "xl list web01",
        "xl shutdown -w web01",
        f"xl create {cfg}",
    ]


def test_absolute_link_is_restored_byte_for_byte(host, capsys):
    link = xen(host) / "auto" / "web01.cfg"
    link.unlink()
    target = str(xen(host)) + "//web01.cfg"  # odd spelling, kept as is
    link.symlink_to(target)
    _, script, _ = plan(host, capsys, fmt="sh", paths=[xen(host) / "web01.cfg"])
    res = run_script(host, script)
    assert res.returncode == 0, res.stderr
    assert os.readlink(link) == target
    assert not (xen(host) / "auto.xencfg-suspended").exists()


def test_relocated_root(host, capsys, tmp_path):
    _, script, _ = plan(host, capsys, fmt="sh", paths=[xen(host) / "web01.cfg"])
    root = tmp_path / "chroot"
    copy = root / str(host).lstrip("/")
    shutil.copytree(host, copy, symlinks=True)
    before = snapshot(xen(host))
    res = run_script(
        host,
        script,
        env={
            "XENCFG_ROOT": str(root),
            "STUB_CFG": str(xen(copy) / "web01.cfg"),
            "STUB_LINK": str(xen(copy) / "auto" / "web01.cfg"),
        },
    )
    assert res.returncode == 0, res.stderr
    assert snapshot(xen(host)) == before  # the original is untouched
    assert "sddlmaa" in (xen(copy) / "web01.cfg").read_text()
    assert os.readlink(xen(copy) / "auto" / "web01.cfg") == "../web01.cfg"


# -- blocked domains and bad input -----------------------------------------------------
def test_unmapped_disk_blocks_the_domain(host, capsys):
    (xen(host) / "app01.cfg").write_text(
        'name = "app01"\ndisk = [ "phy:/dev/sda3,xvda,w", "phy:/dev/sdz,xvdb,w" ]\n'
    )
    code, out, _ = plan(host, capsys, fmt="json")
    assert code == 0
    doc = json.loads(out)
    app = [b for b in doc["blocked"] if b["name"] == "app01"][0]
    assert any("/dev/sdz is not in the map" in r for r in app["reasons"])
    assert "app01" not in [d["name"] for d in doc["domains"]]
    code, script, _ = plan(host, capsys, fmt="sh")
    assert "Migrate app01" not in script and "#   app01" in script


def test_same_name_twice_blocks_both(host, capsys):
    shutil.copy(xen(host) / "web01.cfg", xen(host) / "web01-copy.cfg")
    code, out, _ = plan(host, capsys, fmt="json")
    doc = json.loads(out)
    assert [b["name"] for b in doc["blocked"]].count("web01") == 2
    assert "web01" not in [d["name"] for d in doc["domains"]]


def test_managed_domain_needs_xm(host, capsys):
    code, out, _ = plan(host, capsys, "--toolstack", "xl", fmt="json")
    doc = json.loads(out)
    mail = [b for b in doc["blocked"] if b["name"] == "mail01"][0]
    assert "--toolstack xm" in mail["reasons"][-1]


def test_nothing_to_do(host, capsys):
    code, out, _ = plan(host, capsys, paths=[xen(host) / "dns01.cfg"], dump=False)
    assert code == 0
    assert out.startswith("xencfg plan: nothing to migrate\n")
    code, script, _ = plan(
        host, capsys, paths=[xen(host) / "dns01.cfg"], dump=False, fmt="sh"
    )
    res = run_script(host, script)
    assert res.returncode == 0 and "nothing to migrate" in res.stdout


def test_bad_input_exits_2(host, capsys):
    bad = xen(host) / "broken.cfg"
    bad.write_text('name = "broken"\ndisk = [ "phy:/dev/sda,xvda,w"\n')
    code, _, err = plan(host, capsys)
    assert code == 2
    assert err.startswith(f"{bad}:") and ": error: " in err
    bad.unlink()
    (host / "dlmcfgmgr-v.txt").write_text("hello\n")
    code, _, err = plan(host, capsys)
    assert code == 2 and "error" in err
    code, _, err = plan(host, capsys, paths=[xen(host) / "nope.cfg"])
    assert code == 2


def test_cli_entry_point(host):
    res = subprocess.run(
        [sys.executable, "-m", "xencfg", "plan", "--map", str(host / "dlmcfgmgr-v.txt")]
        + ["--auto-dir", str(xen(host) / "auto"), str(xen(host))],
        capture_output=True,
        text=True,
    )
    assert res.returncode == 0, res.stderr
    assert "== web01" in res.stdout


def test_interactive_answers_and_declined_checkpoint(host, capsys):
    """On a terminal it asks; a declined checkpoint stops and says what is left."""
    pty = pytest.importorskip("pty")
    _, script, _ = plan(host, capsys, fmt="sh", paths=[xen(host) / "web01.cfg"])
    path = host.parent / "run.sh"
    path.write_text(script)
    env = dict(os.environ)
    env.pop("XENCFG_YES", None)
    env.update(
        PATH=f"{host.parent / 'bin'}:{env['PATH']}",
        STUB_STATE=str(host.parent / "state"),
        STUB_LOG=str(host.parent / "calls.log"),
        STUB_LINK=str(xen(host) / "auto" / "web01.cfg"),
        STUB_CFG=str(xen(host) / "web01.cfg"),
    )
    pid, fd = pty.fork()
    if pid == 0:  # pragma: no cover - the child
        os.execvpe("bash", ["bash", str(path)], env)
    answers, seen = [b"y\n", b"n\n"], b""
    while True:
        try:
            data = os.read(fd, 4096)
        except OSError:
            break
        if not data:
            break
        seen += data
        if seen.rstrip().endswith(b"[y/N]") and answers:
            os.write(fd, answers.pop(0))
            seen += b"\n"
    _, status = os.waitpid(pid, 0)
    text = seen.decode()
    assert os.waitstatus_to_exitcode(status) == 1
    assert "Migrate web01? [y/N]" in text and "Done? [y/N]" in text
    assert "still to do by hand" in text
    assert f"xm create {xen(host) / 'web01.cfg'}" in text
    parked = xen(host) / "auto.xencfg-suspended" / "web01.cfg"
    assert os.readlink(parked) == "../web01.cfg"
    assert f"mv {parked} {xen(host) / 'auto' / 'web01.cfg'}" in text
