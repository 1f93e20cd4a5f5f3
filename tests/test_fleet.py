"""``xencfg fleet plan|check`` over inventories of several hosts: each host
planned with its own map, paths as on the host, the cross-host LU rule, and
each host's runbook run with stub commands under XENCFG_ROOT."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from xencfg.cli import main

STUB = r"""#!/bin/sh
# Stub xm/xl: logs each call, keeps the running domains as files in $STUB_STATE.
echo "$(basename "$0") $*" >> "$STUB_LOG"
case "$1" in
    list) [ -e "$STUB_STATE/$2" ] ;;
    shutdown) rm -f "$STUB_STATE/$3" ;;
    create)
        n=$(sed -n 's/^name *= *"\(.*\)"/\1/p' "$2")
        touch "$STUB_STATE/$n" ;;
    *) echo "stub: unexpected call: $*" >&2; exit 2 ;;
esac
"""


def dlm_map(pairs: dict[str, str]) -> str:
    rows = ["HDevName      Management  Device    Host  Channel  Target  Lun"]
    for lun, (scsi, hdlm) in enumerate(pairs.items()):
        rows.append(f"{hdlm}  configured  {scsi}     1        0       0    {lun}")
    rows.append("KAPL10302-I /sbin/dlmcfgmgr completed normally.")
    return "\n".join(rows) + "\n"


def dlnk_map(serial: str, lus: dict[str, tuple[str, str]]) -> str:
    """dlnkmgr view -lu: {iLU: (HDevName, SCSI device)}."""
    rows = [
        "Product       : VSP_Gx00",
        f"SerialNumber  : {serial}",
        f"LUs           : {len(lus)}",
        "iLU    HDevName Device   PathID Status",
    ]
    for n, (ilu, (hdev, scsi)) in enumerate(lus.items()):
        rows.append(f"{ilu} {hdev}  {scsi} {n:06d} Online")
    rows.append(
        "KAPL01001-I The HDLM command completed normally. Operation name = view"
    )
    return "\n".join(rows) + "\n"


MPATH = """\
mpatha (1IET     00010001) dm-0 IET,VIRTUAL-DISK
size=1.0G features='0' hwhandler='0' wp=rw
`-+- policy='round-robin 0' prio=1 status=active
  |- 3:0:0:1 sdb 8:16 active ready running
  `- 4:0:0:1 sdc 8:32 active ready running
"""


def cfg(name: str, *disks: str) -> str:
    items = ", ".join(f'"phy:{d}"' for d in disks)
    return f'name = "{name}"\nmemory = 512\ndisk = [ {items} ]\n'


def make_host(inv: Path, name: str, map_text: str, configs: dict, **kw) -> Path:
    h = inv / name
    xen = h / "etc" / "xen"
    (xen / "auto").mkdir(parents=True)
    (h / "map.txt").write_text(map_text)
    for fname, text in configs.items():
        (xen / fname).write_text(text)
    for fname, target in kw.get("links", {}).items():
        (xen / "auto" / fname).symlink_to(target)
    if "running" in kw:
        (h / "running.txt").write_text(kw["running"])
    return h


@pytest.fixture
def inv(tmp_path) -> Path:
    inv = tmp_path / "inventory"
    # xm host: S-expression dump, web01 runs, an absolute autostart link.
    make_host(
        inv,
        "xm1",
        dlm_map({"/dev/sda": "/dev/sddlmaa", "/dev/sdb": "/dev/sddlmab"}),
        {"web01.cfg": cfg("web01", "/dev/sda,xvda,w", "/dev/sdb1,xvdb,w")},
        links={"web01.cfg": "/etc/xen/web01.cfg"},
        running="(domain (domid 0) (name Domain-0))\n"
        "(domain (domid 4) (name web01) (device (vbd (uname phy:/dev/sda) "
        "(dev xvda) (mode w))) (device (vbd (uname phy:/dev/sdb1) (dev xvdb) "
        "(mode w))))\n",
    )
    # xl host: JSON dump, multipath -ll map (LU ids); /dev/sdb is another LU
    # name here than on xm1.
    make_host(
        inv,
        "xl1",
        MPATH,
        {"app9.cfg": cfg("app9", "/dev/sdb,xvda,w")},
        links={"app9.cfg": "../app9.cfg"},
        running='[{"domid": 3, "config": {"c_info": {"name": "app9"},'
        ' "disks": [{"pdev_path": "/dev/sdb", "vdev": "xvda"}]}}]\n',
    )
    # nothing to do (already migrated), no running.txt
    make_host(
        inv,
        "quiet",
        dlm_map({"/dev/sda": "/dev/sddlmaa"}),
        {"ok01.cfg": cfg("ok01", "/dev/sddlmaa,xvda,w")},
    )
    return inv


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def fleet_json(capsys, inv, *extra):
    code, out, err = run(capsys, "fleet", "check", inv, "--format", "json", *extra)
    doc = json.loads(out)
    states = {(h["host"], d["domain"]): d for h in doc["hosts"] for d in h["domains"]}
    return code, doc, states, err


def run_script(script: Path, root: Path, tmp: Path) -> list[str]:
    """Run a host's runbook with stub xm/xl under XENCFG_ROOT=root."""
    bin_ = tmp / "bin"
    if not bin_.exists():
        bin_.mkdir()
        for tool in ("xm", "xl"):
            (bin_ / tool).write_text(STUB)
            (bin_ / tool).chmod(0o755)
    state, log = tmp / "state", tmp / "calls.log"
    state.mkdir(exist_ok=True)
    env = dict(os.environ)
    env.update(
        PATH=f"{bin_}:{env['PATH']}",
        XENCFG_ROOT=str(root),
        XENCFG_YES="1",
        STUB_STATE=str(state),
        STUB_LOG=str(log),
    )
    res = subprocess.run(
        ["bash", str(script)], env=env, capture_output=True, text=True, timeout=60
    )
    assert res.returncode == 0, res.stdout + res.stderr
    assert "all done" in res.stdout
    return log.read_text().splitlines()


def test_table_exit_codes_and_plans(inv, tmp_path, capsys):
    out_dir = tmp_path / "plans"
    out_dir.mkdir()
    (out_dir / "quiet.sh").write_text("old")  # a plan of an earlier run
    code, out, err = run(capsys, "fleet", "plan", inv, "-o", out_dir)
    assert code == 0, err
    lines = out.splitlines()
    assert any(ln.split()[:4] == ["xm1", "web01", "to", "migrate"] for ln in lines)
    assert any(ln.split()[:4] == ["xl1", "app9", "to", "migrate"] for ln in lines)
    assert any(ln.split()[:3] == ["quiet", "ok01", "done"] for ln in lines)
    assert "quiet" in out and "no running.txt: planned from the configs alone" in out
    assert lines[-1].startswith("xencfg fleet: 3 hosts; 2 to migrate")
    assert sorted(os.listdir(out_dir)) == ["xl1.patch", "xl1.sh", "xm1.patch", "xm1.sh"]
    patch = (out_dir / "xm1.patch").read_text()
    assert "--- a/etc/xen/web01.cfg" in patch and "+++ b/etc/xen/web01.cfg" in patch
    assert str(inv) not in patch
    sh = (out_dir / "xm1.sh").read_text()
    assert "/etc/xen/web01.cfg" in sh and "/etc/xen/auto/web01.cfg" in sh
    assert str(inv) + "/xm1/etc" not in sh
    assert "toolstack: xm" in sh
    assert "toolstack: xl" in (out_dir / "xl1.sh").read_text()
    # check: the same verdicts, no plans, exit 1 while work is left
    code, out2, _ = run(capsys, "fleet", "check", inv)
    assert code == 1 and out2 == out.replace("; plans for 2 host(s)", "")


def test_json(inv, capsys):
    code, doc, states, _ = fleet_json(capsys, inv)
    assert code == 1
    assert doc["format"] == "xencfg-fleet"
    assert doc["summary"] == {
        "hosts": 3,
        "to migrate": 2,
        "needs restart": 0,
        "blocked": 0,
        "done": 1,
    }
    hosts = {h["host"]: h for h in doc["hosts"]}
    assert hosts["xl1"]["toolstack"] == "xl" and hosts["xm1"]["toolstack"] == "xm"
    assert hosts["xl1"]["lu_identity"] is True
    assert hosts["quiet"]["running"] is None and hosts["quiet"]["notes"]
    assert states[("xm1", "web01")]["config"] == "/etc/xen/web01.cfg"
    assert states[("quiet", "ok01")]["state"] == "done"
    assert states[("xl1", "app9")]["notes"] == []  # phy: or bare: one device


def test_each_script_migrates_its_own_host(inv, tmp_path, capsys):
    out_dir = tmp_path / "plans"
    code, _, err = run(capsys, "fleet", "plan", inv, "-o", out_dir)
    assert code == 0, err
    for host, name, want in (
        ("xm1", "web01", cfg("web01", "/dev/sddlmaa,xvda,w", "/dev/sddlmab1,xvdb,w")),
        ("xl1", "app9", cfg("app9", "/dev/mapper/mpatha,xvda,w")),
    ):
        root = tmp_path / f"root-{host}"
        shutil.copytree(inv / host, root, symlinks=True)
        work = tmp_path / f"run-{host}"
        work.mkdir()
        (work / "state").mkdir()
        (work / "state" / name).touch()  # it runs
        calls = run_script(out_dir / f"{host}.sh", root, work)
        xen = root / "etc" / "xen"
        assert (xen / f"{name}.cfg").read_text() == want
        tool = "xl" if host == "xl1" else "xm"
        assert calls == [
            f"{tool} list {name}",
            f"{tool} shutdown -w {name}",
            f"{tool} create {xen / (name + '.cfg')}",
        ]
        link = os.readlink(xen / "auto" / f"{name}.cfg")
        assert link == os.readlink(inv / host / "etc" / "xen" / "auto" / f"{name}.cfg")
        assert sorted(os.listdir(work / "state")) == [name]
        # the inventory's copy is not touched
        assert "/dev/sd" in (inv / host / "etc" / "xen" / f"{name}.cfg").read_text()


def test_absolute_autostart_link_is_found_in_the_copy(inv, tmp_path, capsys):
    out_dir = tmp_path / "plans"
    code, _, err = run(capsys, "fleet", "plan", inv, "-o", out_dir)
    assert code == 0, err
    sh = (out_dir / "xm1.sh").read_text()
    # /etc/xen/web01.cfg is read in xm1's copy, not on this machine
    assert 'link0="$R"/etc/xen/auto/web01.cfg' in sh
    assert 'same_link "$link0" /etc/xen/web01.cfg' in sh
    assert "/etc/xen/auto.xencfg-suspended/web01.cfg" in sh


def shared_hosts(inv: Path, conflict: bool) -> None:
    a = {"000800": ("sddlmaa", "/dev/sdc")}
    b = {"000801": ("sddlmaa", "/dev/sdc")} if conflict else a
    for host, lus in (("lua", a), ("lub", b)):
        make_host(
            inv,
            host,
            dlnk_map("412905", lus),
            {"shared.cfg": cfg("shared", "/dev/sdc,xvda,w")},
            running="(domain (domid 0) (name Domain-0))\n",
        )


def test_same_domain_same_lu_on_two_hosts(inv, capsys):
    shared_hosts(inv, conflict=False)
    code, doc, states, _ = fleet_json(capsys, inv)
    for host in ("lua", "lub"):
        assert states[(host, "shared")]["state"] == "to migrate"
        assert not states[(host, "shared")]["notes"]


def test_same_domain_different_lu_blocks_it_on_both_hosts(inv, tmp_path, capsys):
    shared_hosts(inv, conflict=True)
    code, doc, states, _ = fleet_json(capsys, inv)
    for host in ("lua", "lub"):
        st = states[(host, "shared")]
        assert st["state"] == "blocked"
        text = " ".join(st["reasons"])
        assert "/dev/sdc is LU hitachi:412905:000800 on lua" in text
        assert "LU hitachi:412905:000801 on lub" in text
    # plan still exits 0 and writes no script for the two hosts
    out_dir = tmp_path / "plans"
    code, out, _ = run(capsys, "fleet", "plan", inv, "-o", out_dir)
    assert code == 0
    assert not (out_dir / "lua.sh").exists() and not (out_dir / "lub.sh").exists()
    assert any(
        ln.split()[:3] == ["lua", "shared", "blocked:"] for ln in out.splitlines()
    )


def test_lu_served_by_another_multipath_name_blocks(inv, capsys):
    make_host(
        inv,
        "lua",
        dlnk_map("412905", {"000800": ("sddlmaa", "/dev/sdc")}),
        {"shared.cfg": cfg("shared", "/dev/sdc,xvda,w")},
    )
    make_host(
        inv,
        "lub",
        dlnk_map("412905", {"000800": ("sddlmac", "/dev/sdq")}),
        {"shared.cfg": cfg("shared", "/dev/sdq,xvda,w")},
    )
    code, doc, states, _ = fleet_json(capsys, inv)
    text = " ".join(states[("lub", "shared")]["reasons"])
    assert "LU hitachi:412905:000800 is /dev/sddlmac on lub (/dev/sdq)" in text
    assert "/dev/sddlmaa on lua" in text
    assert states[("lua", "shared")]["state"] == "blocked"


def test_maps_without_lu_ids_compare_names_and_say_so(inv, capsys):
    for host, hdlm in (("dla", "/dev/sddlmaa"), ("dlb", "/dev/sddlmaa")):
        make_host(
            inv,
            host,
            dlm_map({"/dev/sdc": hdlm}),
            {"w5.cfg": cfg("w5", "/dev/sdc,xvda,w")},
        )
    code, doc, states, _ = fleet_json(capsys, inv)
    st = states[("dla", "w5")]
    assert st["state"] == "to migrate"
    assert any("by device names only" in n and "weaker" in n for n in st["notes"])
    shutil.rmtree(inv / "dlb")
    make_host(
        inv,
        "dlb",
        dlm_map({"/dev/sdc": "/dev/sddlmab"}),
        {"w5.cfg": cfg("w5", "/dev/sdc,xvda,w")},
    )
    code, doc, states, _ = fleet_json(capsys, inv)
    text = " ".join(states[("dlb", "w5")]["reasons"])
    assert states[("dlb", "w5")]["state"] == "blocked"
    assert "on dla /dev/sdc -> /dev/sddlmaa" in text and "dlb" in text


def test_malformed_map_exits_2_naming_host_and_file(inv, tmp_path, capsys):
    make_host(
        inv, "broken", "hello, not a map\n", {"x.cfg": cfg("x", "/dev/sda,xvda,w")}
    )
    out_dir = tmp_path / "plans"
    code, out, err = run(capsys, "fleet", "plan", inv, "-o", out_dir)
    assert code == 2
    assert "broken" in err and str(inv / "broken" / "map.txt") in err
    assert not out_dir.exists() or not os.listdir(out_dir)
    code, _, err = run(capsys, "fleet", "check", inv)
    assert code == 2 and "broken" in err


def test_bad_inventory_usage(tmp_path, capsys):
    code, _, err = run(capsys, "fleet", "check", tmp_path / "nope")
    assert code == 2 and "inventory folder not found" in err
    (tmp_path / "inv" / "h1").mkdir(parents=True)
    code, _, err = run(capsys, "fleet", "check", tmp_path / "inv")
    assert code == 2 and "h1" in err and "map.txt" in err


def test_toolstack_from_configs_without_running(inv, capsys):
    (inv / "quiet" / "etc" / "xen" / "xl.conf").write_text("autoballoon=0\n")
    code, doc, states, _ = fleet_json(capsys, inv)
    hosts = {h["host"]: h for h in doc["hosts"]}
    assert hosts["quiet"]["toolstack"] == "xl"
    assert "xl.conf" in hosts["quiet"]["toolstack_from"]


def test_many_hosts_in_parallel_give_the_same_answer(inv, capsys):
    for n in range(6):
        make_host(
            inv,
            f"h{n}",
            dlm_map({"/dev/sda": f"/dev/sddlma{'abcdef'[n]}"}),
            {f"d{n}.cfg": cfg(f"d{n}", "/dev/sda,xvda,w")},
        )
    _, one, _, _ = fleet_json(capsys, inv, "-j", "1")
    _, two, _, _ = fleet_json(capsys, inv, "-j", "2")
    assert one == two and one["summary"]["hosts"] == 9


def test_hard_link_in_autostart_blocks_the_domain(inv, capsys):
    xen = inv / "xl1" / "etc" / "xen"
    (xen / "auto" / "app9.cfg").unlink()
    os.link(xen / "app9.cfg", xen / "auto" / "app9.cfg")
    code, doc, states, _ = fleet_json(capsys, inv)
    st = states[("xl1", "app9")]
    assert st["state"] == "blocked"
    assert "/etc/xen/auto/app9.cfg is the config itself or a hard link" in (
        st["reasons"][0]
    )


def test_migrated_config_still_running_on_scsi_needs_restart(inv, capsys):
    # Config management already applied the patch on xm1; the guest still
    # runs on the SCSI devices until it is restarted.
    cfg_path = inv / "xm1" / "etc" / "xen" / "web01.cfg"
    cfg_path.write_text(cfg("web01", "/dev/sddlmaa,xvda,w", "/dev/sddlmab1,xvdb,w"))
    code, doc, states, _ = fleet_json(capsys, inv)
    assert code == 1
    assert states[("xm1", "web01")]["state"] == "needs restart"
    assert doc["summary"]["needs restart"] == 1
    code, out, _ = run(capsys, "fleet", "check", inv)
    assert any(
        ln.split()[:4] == ["xm1", "web01", "needs", "restart"]
        for ln in out.splitlines()
    )
    assert "1 to migrate, 1 needs restart" in out.splitlines()[-1]
