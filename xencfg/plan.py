"""``xencfg plan``: the per-domain runbook (placeholder until built)."""


def add_arguments(p) -> None:
    p.add_argument("paths", nargs="*", metavar="PATH")


def run_plan(args) -> int:
    raise NotImplementedError("plan")
