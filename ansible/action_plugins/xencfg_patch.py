"""xencfg_patch: show a host's planned patch as an Ansible diff.

Runs on the control node only (no Python on the dom0 is needed): reads the
patch file that ``xencfg fleet plan`` wrote for the host and returns it as a
prepared diff, so ``--check --diff`` shows it like any module's diff.  It
changes nothing; it reports "changed" when the patch is not empty, because
running the plan would change the host.

Options: ``path`` (required), the patch file on the control node.
"""

from __future__ import annotations

from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.text.converters import to_text
from ansible.plugins.action import ActionBase


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset(("path",))

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        path = self._task.args.get("path")
        if not path:
            raise AnsibleActionFail("xencfg_patch: 'path' is required")
        try:
            with open(path, "rb") as f:
                text = to_text(f.read(), errors="surrogate_or_replace")
        except OSError as exc:
            raise AnsibleActionFail(f"xencfg_patch: {path}: {exc}") from exc
        result["changed"] = bool(text.strip())
        result["diff"] = {"prepared": text}
        result["msg"] = f"{path}: {len(text.splitlines())} lines"
        return result
