"""The README's examples do what they show."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()


def run(argv: list[str], tmp_path) -> subprocess.CompletedProcess:
    env = dict(os.environ, XENCFG_CACHE_DIR=str(tmp_path))
    return subprocess.run(
        [sys.executable, "-m", "xencfg", *argv],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )


def test_first_command_migrates_a_coherent_sample(tmp_path):
    block = README.split("## Two commands for a fresh machine")[1].split("```sh")[1]
    command = block.split("&& xencfg ")[1].split("\n")[0]
    r = run(shlex.split(command), tmp_path)
    assert r.returncode == 0, r.stderr
    assert "+++ b/" in r.stdout
    # Every SCSI disk the map knows is migrated; nothing the map lacks.
    assert "not in the map" not in r.stderr and "error" not in r.stderr
    assert re.search(r"\d+ files? would be migrated", r.stderr)


def test_plan_example_matches_what_plan_prints(tmp_path):
    block = README.split("```console\n$ cd /home/me/xencfg\n")[1].split("```")[0]
    lines = block.splitlines()
    argv = shlex.split((lines[0] + lines[1]).replace("\\", " ").removeprefix("$ "))
    assert argv[0] == "xencfg"
    r = run(argv[1:], tmp_path)
    assert r.returncode == 0, r.stderr
    printed = r.stdout.replace(str(ROOT), "/home/me/xencfg").splitlines()
    shown = [ln for ln in lines[2:] if ln not in ("...", "") and "(...)" not in ln]
    assert len(shown) > 20
    missing = [ln for ln in shown if ln not in printed]
    assert not missing
    # In the order plan prints them (each line found after the one before).
    pos = -1
    for ln in shown:
        pos = printed.index(ln, pos + 1)


def test_diff_and_apply_help_show_map_as_required():
    for command in ("diff", "apply"):
        r = subprocess.run(
            [sys.executable, "-m", "xencfg", command, "--help"],
            capture_output=True,
            text=True,
        )
        usage = r.stdout.split("\n\n")[0]
        assert "--map FILE" in usage and "[--map FILE]" not in usage
        assert "required" not in r.stdout.split("--map FILE", 2)[-1].split("\n")[0]


def test_fleet_example_matches_what_fleet_prints(tmp_path):
    block = README.split("```console\n$ xencfg fleet check samples/fleet\n")[1]
    shown = block.split("```")[0]
    r = run(["fleet", "check", "samples/fleet"], tmp_path)
    assert r.returncode == 1, r.stderr  # work is left: web01 is blocked
    assert r.stdout == shown
    assert "xen1  web01   blocked: web01: LU hitachi:412905:000800" in shown
