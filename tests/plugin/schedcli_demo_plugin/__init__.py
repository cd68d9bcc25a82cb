"""Demo collectors: one succeeds, one warns, one fails."""

from schedcli.collectors import CollectorWarning


def collect_ok(ctx):
    return {"job": ctx.job, "run_id": ctx.run_id, "params": ctx.params,
            "scheduled_for": ctx.scheduled_for, "trigger": ctx.trigger}


def collect_warn(ctx):
    raise CollectorWarning(f"partial data for {ctx.params.get('source', '?')}")


def collect_fail(ctx):
    raise RuntimeError("source unreachable")
