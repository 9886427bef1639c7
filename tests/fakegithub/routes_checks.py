"""Fake handlers: check runs and their annotations."""

from __future__ import annotations

import time

from tests.fakegithub import shapes_prs
from tests.fakegithub.api import (
    Ctx,
    Emit,
    Reply,
    invalid,
    not_found,
    refuse_long_output,
)
from tests.fakegithub.state import (
    CheckRun,
)

CHECK_STATUSES = ("queued", "in_progress", "completed")
CHECK_CONCLUSIONS = (
    "success",
    "failure",
    "neutral",
    "cancelled",
    "skipped",
    "timed_out",
    "action_required",
)
LEVELS = ("notice", "warning", "failure")


# check runs


def _check_fields(ctx: Ctx, run: CheckRun) -> None:
    status = ctx.field("status", str)
    conclusion = ctx.field("conclusion", str)
    if status is not None and status not in CHECK_STATUSES:
        raise invalid(f"Invalid request.\n\nFor 'status', {status!r} is not a valid value.")
    if conclusion is not None and conclusion not in CHECK_CONCLUSIONS:
        raise invalid(f"Invalid request.\n\nFor 'conclusion', {conclusion!r} is not a valid value.")
    if conclusion is not None:
        status = "completed"  # documented: a conclusion completes the run
    if status == "completed" and conclusion is None and run.conclusion is None:
        raise invalid('Invalid request.\n\n"conclusion" wasn\'t supplied.')
    if status is not None:
        run.status = status
    if conclusion is not None:
        run.conclusion = conclusion
    if run.status == "completed" and run.completed_at is None:
        run.completed_at = time.time()
    output = ctx.field("output", dict)
    if output is not None:
        if not isinstance(output.get("title"), str) or not isinstance(output.get("summary"), str):
            raise invalid('Invalid request.\n\n"title" and "summary" are required in output.')
        refuse_long_output(output)
        annotations = output.get("annotations") or []
        if not isinstance(annotations, list) or len(annotations) > 50:
            raise invalid("Invalid request.\n\nAt most 50 annotations per request.")
        for a in annotations:
            if (
                not isinstance(a, dict)
                or not all(isinstance(a.get(k), str) for k in ("path", "message"))
                or not all(isinstance(a.get(k), int) for k in ("start_line", "end_line"))
                or a.get("annotation_level") not in LEVELS
            ):
                raise invalid(
                    "Invalid request.\n\nAnnotations need path, start_line, end_line, "
                    "annotation_level (notice|warning|failure) and message."
                )
        run.output = {k: output.get(k) for k in ("title", "summary", "text")}
        run.annotations.extend(annotations)  # documented: annotations accumulate


def create_check_run(ctx: Ctx) -> Reply:
    repo = ctx.repo()
    name = ctx.field("name", str, required=True)
    head_sha = ctx.field("head_sha", str, required=True)
    if ctx.fake.head_sha(repo.full_name, head_sha) is None:
        raise invalid("No commit found for SHA: " + head_sha)
    app_id = ctx.fake.app.id if ctx.grant and ctx.grant.installation_id else None
    run = CheckRun(
        ctx.fake.next_id(),
        repo.full_name,
        name,
        head_sha,
        "queued",
        None,
        app_id,
        external_id=ctx.field("external_id", str),
        details_url=ctx.field("details_url", str),
        head_branch=ctx.fake.suite_branch(repo.full_name, head_sha),
    )
    _check_fields(ctx, run)
    ctx.fake.check_runs[run.id] = run
    return Reply(
        201,
        ctx.render.check_run(run),
        emits=[Emit("check_run", "created", repo.full_name, ctx.actor, {"check_run": run})],
    )


def _check_run(ctx: Ctx) -> CheckRun:
    repo = ctx.repo()
    run: CheckRun | None = ctx.fake.check_runs.get(int(ctx.params["check_run_id"]))
    if run is None or run.repo != repo.full_name:
        raise not_found()
    return run


def get_check_run(ctx: Ctx) -> Reply:
    return Reply(200, ctx.render.check_run(_check_run(ctx)))


def update_check_run(ctx: Ctx) -> Reply:
    run = _check_run(ctx)
    was_completed = run.status == "completed"
    _check_fields(ctx, run)
    emits = []
    if run.status == "completed" and not was_completed:
        emits.append(Emit("check_run", "completed", run.repo, ctx.actor, {"check_run": run}))
    return Reply(200, ctx.render.check_run(run), emits=emits)


def list_annotations(ctx: Ctx) -> Reply:
    run = _check_run(ctx)
    items = [shapes_prs.annotation(ctx.fake.urls, run, a) for a in run.annotations]
    return ctx.page(items, f"{ctx.fake.urls.repo_api(run.repo)}/check-runs/{run.id}/annotations")
