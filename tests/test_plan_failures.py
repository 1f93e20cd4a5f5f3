"""Every failure path of the plan's script: it says what is left to do, and
the host stays recoverable (the config old or new, never half; each parked
autostart link put back or named with its exact mv command).

Failures come from stub ``mv`` and ``patch`` commands put first on PATH,
next to the stub toolstack of test_plan.
"""

from __future__ import annotations

import json
import os
import re
import shutil

from test_plan import calls, host, plan, run_script, snapshot, xen  # noqa: F401

REAL_MV, REAL_PATCH = shutil.which("mv"), shutil.which("patch")

FAKES = {
    # mv fails when asked to park (STUB_MV=park) or to restore (=restore).
    "mv": f"""#!/bin/bash
case "${{STUB_MV:-}}:$3" in
    park:*xencfg-suspended*) echo "mv: stub failure" >&2; exit 1 ;;
    restore:*/auto/*) echo "mv: stub failure" >&2; exit 1 ;;
esac
exec {REAL_MV} "$@"
""",
    # patch: the dry run is real; the real run fails (STUB_PATCH=fail),
    # leaves half a file (=half) or is killed with its script (=kill).
    "patch": f"""#!/bin/bash
for a in "$@"; do [ "$a" = --dry-run ] && exec {REAL_PATCH} "$@"; done
case "${{STUB_PATCH:-}}" in
    fail) echo "patch: stub failure" >&2; exit 1 ;;
    half) printf 'name = "web01"\\ndisk = [ "phy:/dev/sddl' > "$STUB_CFG"; exit 1 ;;
    kill) kill -TERM -- -$(ps -o pgid= -p $$ | tr -d ' '); sleep 5 ;;
esac
exec {REAL_PATCH} "$@"
""",
}


def fakes(host) -> dict:
    folder = host.parent / "fakebin"
    folder.mkdir(exist_ok=True)
    for name, text in FAKES.items():
        (folder / name).write_text(text)
        (folder / name).chmod(0o755)
    return {"PATH": f"{folder}:{host.parent / 'bin'}:{os.environ['PATH']}"}


def web01_script(host, capsys) -> str:
    code, script, _ = plan(host, capsys, fmt="sh", paths=[xen(host) / "web01.cfg"])
    assert code == 0
    return script


def left_to_do(stderr: str) -> str:
    found = re.findall(r"^xencfg: still to do by hand: (.*)$", stderr, re.M)
    assert len(found) == 1, stderr
    return found[0]


def redo(host, todo: str) -> None:
    """Run the mv commands the script named, as an operator would."""
    for part in todo.split("; "):
        if part.startswith("mv "):
            _, src, dest = part.split(" ")
            os.rename(src, dest)


def paths(host):
    cfg = xen(host) / "web01.cfg"
    link = xen(host) / "auto" / "web01.cfg"
    parked = xen(host) / "auto.xencfg-suspended" / "web01.cfg"
    return cfg, link, parked


def test_failed_park_leaves_config_and_link_and_says_start(host, capsys):
    script = web01_script(host, capsys)
    cfg, link, parked = paths(host)
    old = cfg.read_text()
    res = run_script(host, script, env={**fakes(host), "STUB_MV": "park"})
    assert res.returncode != 0
    assert "during: web01: suspend autostart" in res.stderr
    todo = left_to_do(res.stderr)
    assert f"{cfg} is unchanged" in todo
    assert f"xm create {cfg}" in todo and "mv " not in todo
    assert cfg.read_text() == old
    assert os.readlink(link) == "../web01.cfg" and not os.path.lexists(parked)


def test_failed_patch_names_the_parked_link(host, capsys):
    script = web01_script(host, capsys)
    cfg, link, parked = paths(host)
    before = snapshot(xen(host))
    res = run_script(host, script, env={**fakes(host), "STUB_PATCH": "fail"})
    assert res.returncode != 0
    assert "the patch failed; " in res.stderr and "is unchanged" in res.stderr
    todo = left_to_do(res.stderr)
    assert f"mv {parked} {link}" in todo and f"xm create {cfg}" in todo
    assert os.readlink(parked) == "../web01.cfg" and not os.path.lexists(link)
    redo(host, todo)
    after = snapshot(xen(host))
    after.pop("auto.xencfg-suspended")  # the empty parking folder
    assert after == before


def test_half_written_config_is_said(host, capsys):
    script = web01_script(host, capsys)
    cfg, link, parked = paths(host)
    res = run_script(host, script, env={**fakes(host), "STUB_PATCH": "half"})
    assert res.returncode != 0
    assert "is not as planned after the patch" in res.stderr
    todo = left_to_do(res.stderr)
    assert "neither as it was nor as planned" in todo
    assert f"mv {parked} {link}" in todo


def test_killed_script_says_what_is_left(host, capsys):
    script = web01_script(host, capsys)
    cfg, link, parked = paths(host)
    old = cfg.read_text()
    res = run_script(host, script, env={**fakes(host), "STUB_PATCH": "kill"})
    assert res.returncode == 143, res.stderr
    assert "during: web01: change the disks" in res.stderr
    todo = left_to_do(res.stderr)
    assert f"mv {parked} {link}" in todo and f"{cfg} is unchanged" in todo
    assert cfg.read_text() == old


def test_interrupted_stop_says_how_to_start_again(host, capsys):
    script = web01_script(host, capsys)
    stub = host.parent / "bin" / "xm"
    stub.write_text(
        stub.read_text().replace(
            "    shutdown)\n",
            "    shutdown)\n        kill -INT -- -$(ps -o pgid= -p $$ | tr -d ' ')\n",
        )
    )
    res = run_script(host, script)
    assert res.returncode == 130, res.stderr
    todo = left_to_do(res.stderr)
    assert f"xm create {paths(host)[0]} (if it does not run now)" in todo


def test_failed_start_and_restore_name_each_mv(host, capsys):
    script = web01_script(host, capsys)
    cfg, link, parked = paths(host)
    res = run_script(host, script, env={**fakes(host), "STUB_MV": "restore"})
    assert res.returncode != 0
    assert "during: web01: restore autostart" in res.stderr
    assert left_to_do(res.stderr) == f"mv {parked} {link}"
    assert "sddlmaa" in cfg.read_text()  # the new config, whole
    assert os.readlink(parked) == "../web01.cfg"


def test_parked_links_of_an_earlier_run_are_reported(host, capsys):
    auto = xen(host) / "auto"
    parked_dir = xen(host) / "auto.xencfg-suspended"
    parked_dir.mkdir()
    os.symlink("../db01.cfg", parked_dir / "db01.cfg")
    line = f"mv {parked_dir / 'db01.cfg'} {auto / 'db01.cfg'}"
    code, out, _ = plan(host, capsys)
    assert code == 0
    assert "parked by an earlier run" in out and line in out
    code, out, _ = plan(host, capsys, fmt="json")
    assert json.loads(out)["parked"] == [
        {
            "path": str(auto / "db01.cfg"),
            "target": "../db01.cfg",
            "parked": str(parked_dir / "db01.cfg"),
        }
    ]
    code, script, _ = plan(host, capsys, fmt="sh")
    assert f"#   {line}" in script
    res = run_script(host, script)
    assert res.returncode == 0, res.stderr
    assert res.stdout.count(f"xencfg: still parked: {line}") == 2  # first, last
    assert os.path.islink(parked_dir / "db01.cfg")  # never touched by the run


def test_stub_mv_and_patch_pass_through(host, capsys):
    """The fakes change nothing unless asked: the full run still works."""
    script = web01_script(host, capsys)
    res = run_script(host, script, env=fakes(host))
    assert res.returncode == 0, res.stderr
    assert "all done" in res.stdout
