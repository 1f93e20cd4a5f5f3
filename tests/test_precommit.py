"""The hooks of .pre-commit-hooks.yaml, run by the real pre-commit framework
in a temporary git repository of configs.

The project's working tree (with uncommitted changes) is copied into a
temporary git repository and committed, so pre-commit installs exactly this
code into its own environment (that needs PyPI for lark and libcst: the test
is skipped, with the reason, when the environment cannot be installed).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
MAP = "HDevName Management Device Host Channel Target Lun\n" + (
    "/dev/sddlmaa configured /dev/sda 2 0 0 0\n"
)
IGNORE = shutil.ignore_patterns(
    ".git", ".venv", ".hypothesis", "__pycache__", "*.egg-info", ".pytest_cache",
    ".benchmarks", "build", "dist",
)  # fmt: skip


def git(*args, cwd):
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.org", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
    )


# What pip says when no package index can be reached.
OFFLINE = (
    "NewConnectionError",
    "Temporary failure in name resolution",
    "Network is unreachable",
    "No matching distribution found",
    "Could not find a version that satisfies",
)


@pytest.fixture(scope="module")
def hooks_repo(tmp_path_factory) -> Path:
    if shutil.which("pre-commit") is None or shutil.which("git") is None:
        pytest.skip("pre-commit or git not installed")
    repo = tmp_path_factory.mktemp("hooks") / "xencfg"
    shutil.copytree(ROOT, repo, ignore=IGNORE, symlinks=True)
    git("init", "-q", cwd=repo)
    git("add", "-A", cwd=repo)
    git("commit", "-qm", "hooks under test", cwd=repo)
    return repo


@pytest.fixture
def configs(tmp_path) -> Path:
    work = tmp_path / "configs"
    xen = work / "etc/xen"
    (xen / "auto").mkdir(parents=True)
    (xen / "web01.cfg").write_text(
        "name = 'web01'\nmemory = 512\ndisk = [ 'phy:/dev/sda,xvda,w' ]\n"
    )
    (xen / "db01.cfg").write_text(
        "name = 'db01'\ndisk = [ 'phy:/dev/sddlmaa,xvda,w' ]\n"
    )
    (xen / "auto/web01.cfg").symlink_to("../web01.cfg")
    (work / "setup.cfg").write_text("[metadata]\nname = not-a-domain\n")
    (work / "hdlm.map").write_text(MAP)
    git("init", "-q", cwd=work)
    git("add", "-A", cwd=work)
    return work


def pre_commit(work: Path, repo: Path, hook: str, *args) -> subprocess.CompletedProcess:
    config = (
        "repos:\n"
        f"-   repo: {repo}\n"
        f"    rev: {_head(repo)}\n"
        "    hooks:\n"
        f"    -   id: {hook}\n" + (f"        args: {list(args)!r}\n" if args else "")
    )
    (work / ".pre-commit-config.yaml").write_text(config.replace("'", '"'))
    env = dict(os.environ)
    env["PRE_COMMIT_HOME"] = str(repo.parent / "pre-commit-home")
    env["XENCFG_CACHE_DIR"] = str(work.parent / "cache")
    r = subprocess.run(
        ["pre-commit", "run", "--all-files", "--color", "never"],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
    )
    text = r.stdout + r.stderr
    if (
        "An unexpected error has occurred" in text or "CalledProcessError" in text
    ) and (any(sign in text for sign in OFFLINE)):
        # Only an unreachable package index is the environment's fault; any
        # other install failure (a packaging break) fails the test.
        pytest.skip(f"pre-commit could not reach a package index: {text[-800:]}")
    return r


def _head(repo: Path) -> str:
    return subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True, text=True
    ).stdout.strip()


def test_check_without_map_enforces_the_policy(configs, hooks_repo):
    r = pre_commit(configs, hooks_repo, "xencfg-check")
    assert r.returncode == 1, r.stdout
    assert "etc/xen/web01.cfg:3:10: error:" in r.stdout
    assert "uses the SCSI device /dev/sda directly" in r.stdout
    assert "db01" not in r.stdout.split("- exit code")[1].split("would be")[0]
    assert "setup.cfg" not in r.stdout  # not a domain config


def test_check_with_map_names_file_and_line(configs, hooks_repo):
    r = pre_commit(configs, hooks_repo, "xencfg-check", "--map", "hdlm.map")
    assert r.returncode == 1
    assert (
        "etc/xen/web01.cfg:3:10: would migrate phy:/dev/sda -> phy:/dev/sddlmaa"
        in r.stdout
    )


def test_fix_rewrites_in_place(configs, hooks_repo):
    r = pre_commit(configs, hooks_repo, "xencfg-fix", "--map", "hdlm.map")
    assert r.returncode == 1  # pre-commit fails a hook that changed files
    assert "files were modified by this hook" in r.stdout
    web = configs / "etc/xen/web01.cfg"
    assert "phy:/dev/sddlmaa,xvda,w" in web.read_text()
    assert (configs / "etc/xen/auto/web01.cfg").is_symlink()
    git("add", "-A", cwd=configs)
    again = pre_commit(configs, hooks_repo, "xencfg-check", "--map", "hdlm.map")
    assert again.returncode == 0, again.stdout
