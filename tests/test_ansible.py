"""ansible/migrate.yml run for real by ansible-playbook on a fleet of four
"dom0s" that are folders of this machine (``ansible_connection=local``).

Each host has its own root folder (``xencfg_root``, holding its etc/xen), its
own stub ``dlmcfgmgr``, ``xm`` and ``xl`` on its own PATH (through
``xencfg_environment``), its own map and its own running domains:

- alpha: web01 (running, autostart link), db01 (stopped) and app01, which is
  blocked (its /dev/sdz is not in alpha's map);
- bravo: web02; its map sends /dev/sda to /dev/sddlmaf, not /dev/sddlmaa;
- charlie: nothing to do (already migrated); no base64 or openssl on its
  PATH, so Gather falls back to od;
- delta: web04; its stub ``xm create`` fails when the test says so.

The stub toolstack logs every call into the host's calls.log and keeps the
running domains as files in the host's state/ folder.

The Plan play runs ``xencfg fleet plan`` (OUTDIR/HOST.sh and HOST.patch for
each host with work, with the paths as they are on the host).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PLAYBOOK = ROOT / "ansible" / "migrate.yml"
BIN = Path(sys.executable).parent
PLAYBOOK_CMD = shutil.which("ansible-playbook", path=str(BIN)) or shutil.which(
    "ansible-playbook"
)

pytestmark = pytest.mark.skipif(
    PLAYBOOK_CMD is None, reason="ansible-playbook not installed (test extra)"
)


def _xencfg() -> list[str]:
    exe = shutil.which("xencfg", path=str(BIN))
    return [exe] if exe else [sys.executable, "-m", "xencfg"]


STUB_XM = r"""#!/bin/sh
# Stub toolstack of one host: logs each call, keeps the running domains as
# files in ../state.
h=$(cd "$(dirname "$0")/.." && pwd)
echo "$(basename "$0") $*" >> "$h/calls.log"
case "$1" in
    list)
        if [ "${2:-}" = -l ]; then cat "$h/dump.sxp"; exit 0; fi
        [ -e "$h/state/$2" ] ;;
    shutdown)
        rm -f "$h/state/$3" ;;
    create)
        n=$(sed -n 's/^name *= *"\(.*\)"/\1/p' "$2")
        if [ -e "$h/fail-start" ]; then echo "stub: cannot start $n" >&2; exit 1; fi
        touch "$h/state/$n" ;;
    start)
        touch "$h/state/$2" ;;
    *)
        echo "stub: unexpected call: $*" >&2; exit 2 ;;
esac
"""

STUB_MAP = r"""#!/bin/sh
h=$(cd "$(dirname "$0")/.." && pwd)
echo "$(basename "$0") $*" >> "$h/calls.log"
echo "KAPL10300-I stub on stderr" >&2
cat "$h/map-output.txt"
"""


def dlm_map(pairs: dict[str, str]) -> str:
    rows = ["HDevName      Management  Device    Host  Channel  Target  Lun"]
    for lun, (scsi, hdlm) in enumerate(pairs.items()):
        rows.append(f"{hdlm}  configured  {scsi}     1        0       0    {lun}")
    rows.append("KAPL10302-I /sbin/dlmcfgmgr completed normally.")
    return "\n".join(rows) + "\n"


def cfg(name: str, *disks: str) -> str:
    items = ", ".join(f'"{d}"' for d in disks)
    return f'name = "{name}"\nmemory = 512\ndisk = [ {items} ]\n'


# host: (map, {config: text}, autostart links, running domains)
HOSTS = {
    "alpha": (
        {
            "/dev/sda": "/dev/sddlmaa",
            "/dev/sdb": "/dev/sddlmab",
            "/dev/sdc": "/dev/sddlmac",
        },
        {
            "web01.cfg": cfg("web01", "phy:/dev/sda,xvda,w", "phy:/dev/sdb1,xvdb,w"),
            "db01.cfg": cfg("db01", "phy:/dev/sdc,xvda,w"),
            "app01.cfg": cfg("app01", "phy:/dev/sdz,xvda,w"),
        },
        ["web01.cfg"],
        ["web01"],
    ),
    "charlie": (
        {"/dev/sda": "/dev/sddlmaa"},
        {"ok01.cfg": cfg("ok01", "phy:/dev/sddlmaa,xvda,w")},
        ["ok01.cfg"],
        ["ok01"],
    ),
    "delta": (
        {"/dev/sdd": "/dev/sddlmad"},
        {"web04.cfg": cfg("web04", "phy:/dev/sdd,xvda,w")},
        ["web04.cfg"],
        ["web04"],
    ),
    "bravo": (
        {"/dev/sda": "/dev/sddlmaf", "/dev/sdb": "/dev/sddlmag"},
        {"web02.cfg": cfg("web02", "phy:/dev/sda,xvda,w", "phy:/dev/sdb,xvdb,w")},
        ["web02.cfg"],
        ["web02"],
    ),
}
# What each host's map says the migrated configs are.
MIGRATED = {
    "alpha": {
        "web01.cfg": cfg(
            "web01", "phy:/dev/sddlmaa,xvda,w", "phy:/dev/sddlmab1,xvdb,w"
        ),
        "db01.cfg": cfg("db01", "phy:/dev/sddlmac,xvda,w"),
        "app01.cfg": HOSTS["alpha"][1]["app01.cfg"],  # blocked: unchanged
    },
    "charlie": HOSTS["charlie"][1],
    "delta": {"web04.cfg": cfg("web04", "phy:/dev/sddlmad,xvda,w")},
    "bravo": {
        "web02.cfg": cfg("web02", "phy:/dev/sddlmaf,xvda,w", "phy:/dev/sddlmag,xvdb,w")
    },
}


def dump(host: str) -> str:
    """``xm list -l`` of the host's running domains."""
    _, configs, _, running = HOSTS[host]
    out = ["(domain (domid 0) (name Domain-0) (on_xend_start ignore))"]
    for n, name in enumerate(running, 1):
        text = configs[f"{name}.cfg"]
        vbds = "".join(
            f" (device (vbd (uname {d.split(',')[0]}) (dev {d.split(',')[1]}) (mode w)))"
            for d in text.split("[ ")[1].split(" ]")[0].replace('"', "").split(", ")
        )
        out.append(
            f"(domain (domid {n}) (name {name}) (on_xend_start ignore)"
            f" (status 2) (state -b----){vbds})"
        )
    return "\n".join(out) + "\n"


class Fleet:
    def __init__(self, base: Path):
        self.base = base
        self.inventory = base / "inventory"
        self.plans = base / "plans"
        self.ansible = base / "ansible-tmp"
        for host, (pairs, configs, links, running) in HOSTS.items():
            h = base / host
            xen = h / "root" / "etc" / "xen"
            (xen / "auto").mkdir(parents=True)
            for name, text in configs.items():
                (xen / name).write_text(text)
            for name in links:
                (xen / "auto" / name).symlink_to(f"../{name}")
            (h / "bin").mkdir()
            for tool, text in (
                ("xm", STUB_XM),
                ("xl", STUB_XM),
                ("dlmcfgmgr", STUB_MAP),
            ):
                (h / "bin" / tool).write_text(text)
                (h / "bin" / tool).chmod(0o755)
            (h / "state").mkdir()
            for name in running:
                (h / "state" / name).touch()
            if host == "charlie":  # an old dom0 without base64 or openssl
                (h / "tools").mkdir()
                for tool in ("sh", "tar", "od", "cat", "sed", "dirname", "basename"):
                    (h / "tools" / tool).symlink_to(shutil.which(tool))
            (h / "map-output.txt").write_text(dlm_map(pairs))
            (h / "dump.sxp").write_text(dump(host))
        self.xencfg_command = " ".join(_xencfg())
        self.hosts_file = base / "hosts.yml"
        self.hosts_file.write_text(json.dumps(self.inventory_doc(), indent=1))

    def inventory_doc(self) -> dict:
        hosts = {}
        for host in HOSTS:
            h = self.base / host
            path = os.environ.get("PATH", "/usr/bin:/bin")
            if (h / "tools").is_dir():
                path = str(h / "tools")
            hosts[host] = {
                "ansible_connection": "local",
                "ansible_python_interpreter": sys.executable,
                "xencfg_root": str(h / "root"),
                "xencfg_map_command": "dlmcfgmgr -v",
                "xencfg_environment": {"PATH": f"{h / 'bin'}:{path}"},
            }
        return {
            "all": {
                "vars": {
                    "xencfg_inventory_dir": str(self.inventory),
                    "xencfg_plans_dir": str(self.plans),
                    "xencfg_command": self.xencfg_command,
                },
                "children": {"dom0s": {"hosts": hosts}},
            }
        }

    def xen(self, host: str) -> Path:
        return self.base / host / "root" / "etc" / "xen"

    def calls(self, host: str) -> list[str]:
        log = self.base / host / "calls.log"
        return log.read_text().splitlines() if log.exists() else []

    def playbook(self, *args: str) -> subprocess.CompletedProcess:
        env = dict(os.environ)
        env.update(
            PATH=f"{BIN}:{env.get('PATH', '/usr/bin:/bin')}",
            ANSIBLE_CONFIG=str(self.base / "no-ansible.cfg"),
            ANSIBLE_LOCAL_TEMP=str(self.ansible / "local"),
            ANSIBLE_REMOTE_TEMP=str(self.ansible / "remote"),
            ANSIBLE_HOME=str(self.ansible / "home"),
            ANSIBLE_NOCOLOR="1",
            ANSIBLE_RETRY_FILES_ENABLED="0",
            ANSIBLE_STDOUT_CALLBACK="default",
            ANSIBLE_DEPRECATION_WARNINGS="0",
        )
        env.pop("XENCFG_YES", None)
        env.pop("XENCFG_ROOT", None)
        cmd = [PLAYBOOK_CMD, "-i", str(self.hosts_file), str(PLAYBOOK), *args]
        return subprocess.run(
            cmd,
            env=env,
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            timeout=300,
        )

    def migrate(self, *args: str) -> str:
        """The whole playbook; returns its output, keeps its exit code."""
        res = self.playbook(*args)
        self.returncode = res.returncode
        return res.stdout + res.stderr


def snapshot(root: Path, mtime: bool = True) -> dict[str, tuple]:
    out = {}
    for p in sorted(root.rglob("*")):
        rel = str(p.relative_to(root))
        if p.is_symlink():
            out[rel] = ("link", os.readlink(p))
        elif p.is_file():
            out[rel] = ("file", p.read_bytes(), p.stat().st_mtime_ns if mtime else 0)
        else:
            out[rel] = ("dir",)
    return out


@pytest.fixture
def fleet(tmp_path) -> Fleet:
    return Fleet(tmp_path)


def hosts_state(fleet: Fleet) -> dict:
    return {h: snapshot(fleet.base / h) for h in HOSTS}


def without_logs(state: dict) -> dict:
    return {
        h: {k: v for k, v in s.items() if k != "calls.log"} for h, s in state.items()
    }


# -- Gather --------------------------------------------------------------------------
def test_gather_copies_each_host_and_changes_nothing(fleet):
    before = hosts_state(fleet)
    res = fleet.playbook("--tags", "gather")
    assert res.returncode == 0, res.stdout + res.stderr
    assert without_logs(hosts_state(fleet)) == without_logs(before)
    for host in HOSTS:
        inv = fleet.inventory / host
        h = fleet.base / host
        assert (inv / "map.txt").read_bytes() == (h / "map-output.txt").read_bytes()
        assert (inv / "running.txt").read_bytes() == (h / "dump.sxp").read_bytes()
        assert snapshot(inv / "etc" / "xen", False) == snapshot(fleet.xen(host), False)
        # The links are copied as links, their text unchanged.
        for name in HOSTS[host][2]:
            assert os.readlink(inv / "etc" / "xen" / "auto" / name) == f"../{name}"
        assert fleet.calls(host) == ["dlmcfgmgr -v", "xm list -l"]
    assert sorted(os.listdir(fleet.inventory)) == sorted(HOSTS)
    assert "alpha: note: the map command said: KAPL10300-I stub on stderr" in res.stdout


def test_gather_failing_map_command_stops_before_planning(fleet):
    (fleet.base / "bravo" / "bin" / "dlmcfgmgr").write_text(
        "#!/bin/sh\necho 'KAPL10001-E no HDLM here' >&2\nexit 3\n"
    )
    res = fleet.playbook()
    out = res.stdout + res.stderr
    assert res.returncode != 0
    assert "bravo: the map command failed (status 3): KAPL10001-E no HDLM here" in out
    assert "PLAY [Plan" not in out and not fleet.plans.exists()
    assert not (fleet.inventory / "bravo").exists()


# -- the whole run -----------------------------------------------------------------
def test_check_changes_nothing_then_the_run_migrates_each_host(fleet):
    before = hosts_state(fleet)
    # All four hosts in one batch (the default of one at a time is used below).
    out = fleet.migrate("--check", "--diff", "-e", "xencfg_serial=4")
    assert fleet.returncode == 0, out
    after = hosts_state(fleet)
    assert without_logs(after) == without_logs(before)
    for host in HOSTS:  # only the Gather's read-only calls
        assert fleet.calls(host) == ["dlmcfgmgr -v", "xm list -l"]
    # The patches are shown, as diffs, for the hosts with work.
    assert '+disk = [ "phy:/dev/sddlmaa,xvda,w", "phy:/dev/sddlmab1,xvdb,w" ]' in out
    assert '+disk = [ "phy:/dev/sddlmaf,xvda,w", "phy:/dev/sddlmag,xvdb,w" ]' in out
    assert "a/etc/xen/web02.cfg" in out
    assert "charlie: no runbook" in out
    assert sorted(os.listdir(fleet.plans)) == sorted(
        f"{h}.{ext}" for h in ("alpha", "bravo", "delta") for ext in ("sh", "patch")
    )

    out = fleet.migrate("-e", "xencfg_serial=4")
    assert fleet.returncode == 0, out
    for host in HOSTS:
        xen = fleet.xen(host)
        got = {p.name: p.read_text() for p in xen.glob("*.cfg")}
        assert got == MIGRATED[host], host
        for name in HOSTS[host][2]:  # autostart links restored exactly
            assert os.readlink(xen / "auto" / name) == f"../{name}"
        assert not (xen / "auto.xencfg-suspended").exists()
        # The running domains run again.
        assert sorted(os.listdir(fleet.base / host / "state")) == sorted(HOSTS[host][3])
    web01 = str(fleet.xen("alpha") / "web01.cfg")
    assert fleet.calls("alpha")[-3:] == [
        "xm list web01",
        "xm shutdown -w web01",
        f"xm create {web01}",
    ]
    assert "xm list db01" in fleet.calls("alpha")
    # charlie has nothing to do: no runbook ran, only the two Gathers.
    assert fleet.calls("charlie") == ["dlmcfgmgr -v", "xm list -l"] * 2
    assert "cannot be migrated" in out and "app01" in out
    assert "CHECKPOINT" in out and "all done" in out


def test_failed_start_stops_the_host_and_the_rest_of_the_fleet(fleet):
    (fleet.base / "delta" / "fail-start").touch()
    before = hosts_state(fleet)
    out = fleet.migrate("--check", "-e", "xencfg_serial=4")
    assert fleet.returncode == 0, out
    assert without_logs(hosts_state(fleet)) == without_logs(before)
    # Shown as the lines of the patch (JSON-quoted by the debug output).
    assert r'"+disk = [ \"phy:/dev/sddlmad,xvda,w\" ]"' in out

    out = fleet.migrate()
    assert fleet.returncode == 2, out
    # alpha (first batch) is done; charlie has nothing to do; delta stops
    # with the runbook's own account of what is left; bravo is not started.
    assert (fleet.xen("alpha") / "web01.cfg").read_text() == MIGRATED["alpha"][
        "web01.cfg"
    ]
    cfg4 = "/etc/xen/web04.cfg"
    assert "xencfg: stopped (status 1) during: web04: start (step 7)" in out
    assert (
        f"xencfg: still to do by hand: xm create {cfg4} (if it was running); "
        "mv /etc/xen/auto.xencfg-suspended/web04.cfg /etc/xen/auto/web04.cfg"
    ) in out
    assert "stub: cannot start web04" in out
    xen4 = fleet.xen("delta")
    assert (xen4 / "web04.cfg").read_text() == MIGRATED["delta"]["web04.cfg"]
    assert os.readlink(xen4 / "auto.xencfg-suspended" / "web04.cfg") == "../web04.cfg"
    assert fleet.calls("bravo") == ["dlmcfgmgr -v", "xm list -l"] * 2
    assert (fleet.xen("bravo") / "web02.cfg").read_text() == HOSTS["bravo"][1][
        "web02.cfg"
    ]


def test_serial_batch_finishes_but_no_later_batch_starts(fleet):
    (fleet.base / "delta" / "fail-start").touch()
    # Batches of three: [alpha, charlie, delta], [bravo].  alpha runs beside
    # delta and finishes; bravo's batch is not started.
    out = fleet.migrate("-e", "xencfg_serial=3")
    assert fleet.returncode == 2, out
    assert "xencfg: still to do by hand: xm create /etc/xen/web04.cfg" in out
    assert (fleet.xen("alpha") / "db01.cfg").read_text() == MIGRATED["alpha"][
        "db01.cfg"
    ]
    assert (fleet.xen("bravo") / "web02.cfg").read_text() == HOSTS["bravo"][1][
        "web02.cfg"
    ]
    assert fleet.calls("bravo") == ["dlmcfgmgr -v", "xm list -l"]


# -- the Plan play ---------------------------------------------------------------------
def test_plan_play_prints_the_fleet_table(fleet):
    res = fleet.playbook("--check")
    out = res.stdout + res.stderr
    assert res.returncode == 0, out
    table = out[out.index("TASK [Show the fleet table]") :]
    table = table[: table.index("PLAY [Run")]
    for host in HOSTS:
        assert host in table
    assert "app01" in table


def test_bad_inventory_fails_the_plan_with_reasons(fleet):
    (fleet.base / "bravo" / "map-output.txt").write_text("hello, not a map\n")
    before = hosts_state(fleet)
    res = fleet.playbook()
    out = res.stdout + res.stderr
    assert res.returncode == 2, out
    assert "xencfg fleet plan failed (exit 2)" in out
    assert "bravo" in out and "map.txt" in out
    assert "PLAY [Run" not in out
    assert without_logs(hosts_state(fleet)) == without_logs(before)


# -- lint ------------------------------------------------------------------------------
@pytest.mark.skipif(
    shutil.which("ansible-lint", path=str(BIN)) is None, reason="no ansible-lint"
)
def test_ansible_lint_passes():
    res = subprocess.run(
        [
            shutil.which("ansible-lint", path=str(BIN)),
            "--offline",
            "--nocolor",
            "ansible/",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert res.returncode == 0, res.stdout + res.stderr
