"""The running disks against the configs (plan): a config already migrated
while the domain still runs on the SCSI device needs a restart; running on
the multipath device it is done; other differences are said.  With each
dump form: xm list -l, xl list -l JSON and xl's S-expressions."""

from __future__ import annotations

import json

import pytest

from test_plan import calls, host, plan, run_script, snapshot, xen  # noqa: F401


def xl_json(devs: list[str]) -> str:
    disks = [{"pdev_path": d, "vdev": f"xvd{c}"} for d, c in zip(devs, "abcdef")]
    return json.dumps(
        [{"domid": 5, "config": {"c_info": {"name": "web01"}, "disks": disks}}]
    )


def xl_sxp(devs: list[str]) -> str:
    body = "".join(
        f"(device (tap (physpath {d}) (virtpath xvd{c})))"
        for d, c in zip(devs, "abcdef")
    )
    return f"(domain (domid 5) (name web01) {body})\n"


def xm_sxp(devs: list[str]) -> str:
    body = "".join(
        f"(device (vbd (uname phy:{d}) (dev xvd{c}:disk) (mode w)))"
        for d, c in zip(devs, "abcdef")
    )
    return f"(domain (domid 5) (name web01) {body})\n"


FORMS = {"xm": (xm_sxp, "xm"), "xl-json": (xl_json, "xl"), "xl-sxp": (xl_sxp, "xl")}
OLD_DEVS = ["/dev/sda", "/dev/sdb1"]
NEW_DEVS = ["/dev/sddlmaa", "/dev/sddlmab1"]


def migrate_config(host) -> str:
    cfg = xen(host) / "web01.cfg"
    text = cfg.read_text()
    text = text.replace("/dev/sda,", "/dev/sddlmaa,").replace(
        "/dev/sdb1,", "/dev/sddlmab1,"
    )
    cfg.write_text(text)
    return text


def run_plan(host, capsys, form, devs, fmt="text"):
    make, ts = FORMS[form]
    dump = host.parent / "dump.txt"
    dump.write_text(make(devs))
    return plan(
        host,
        capsys,
        "--running",
        str(dump),
        "--toolstack",
        ts,
        fmt=fmt,
        dump=False,
        paths=[xen(host) / "web01.cfg"],
    )


@pytest.mark.parametrize("form", FORMS)
def test_migrated_config_running_on_scsi_needs_restart(host, capsys, form):
    migrate_config(host)
    code, out, err = run_plan(host, capsys, form, OLD_DEVS)
    assert code == 0, err
    assert out.startswith("xencfg plan: 1 domain to migrate")
    assert "Nothing to do" not in out
    assert "can be migrated" not in out and "needs restart" in out
    assert "note: needs restart:" in out and "/dev/sdb1 (per the dump)" in out
    assert "nothing to patch (needs restart)" in out
    assert "diff --git" not in out
    code, out, err = run_plan(host, capsys, form, OLD_DEVS, fmt="json")
    doc = json.loads(out)
    patch = [s for s in doc["domains"][0]["steps"] if s["op"] == "patch"][0]
    assert patch["restart"] is True and "diff" not in patch


@pytest.mark.parametrize("form", FORMS)
def test_migrated_config_running_on_multipath_is_done(host, capsys, form):
    migrate_config(host)
    code, out, err = run_plan(host, capsys, form, NEW_DEVS)
    assert code == 0, err
    assert out.startswith("xencfg plan: nothing to migrate")
    assert out.rstrip().endswith("Nothing to do: web01")


@pytest.mark.parametrize("form", FORMS)
def test_running_disks_that_differ_otherwise_are_said(host, capsys, form):
    migrate_config(host)
    code, out, err = run_plan(host, capsys, form, ["/dev/sddlmaa"])
    assert code == 0, err
    assert "Nothing to do: web01 (note: the running domain's disks differ" in out
    assert "running: /dev/sddlmaa; config: /dev/sddlmaa, /dev/sddlmab1" in out
    # And for a config still to migrate, as well.
    cfg = xen(host) / "web01.cfg"
    cfg.write_text(cfg.read_text().replace("sddlmab1", "sdb1"))
    code, out, err = run_plan(
        host, capsys, form, ["/dev/sddlmaa", "/dev/sdb1", "/dev/vg0/extra"]
    )
    assert "differ from its config" in out


def test_restart_script_stops_and_starts_without_patching(host, capsys):
    text = migrate_config(host)
    code, script, _ = plan(host, capsys, fmt="sh", paths=[xen(host) / "web01.cfg"])
    assert code == 0
    assert "patch_0()" not in script and "apply_patch --dry-run" not in script
    before = snapshot(xen(host))
    res = run_script(host, script)
    assert res.returncode == 0, res.stdout + res.stderr
    cfg = xen(host) / "web01.cfg"
    web01 = [c.split(" |")[0] for c in calls(host) if "mail01" not in c]
    assert web01 == [
        "xm list web01",
        "xm shutdown -w web01",
        f"xm create {cfg}",
    ]
    assert [c for c in calls(host) if "create" in c][0].endswith(
        "link=0 web01=phy:/dev/sddlmaa"
    )  # autostart parked while it restarts
    assert cfg.read_text() == text
    assert snapshot(xen(host)) == before
    assert "needs restart" in res.stdout
