"""RQ on Redis: ids go onto an RQ queue; `codemonkey worker` processes run them.

RQ calls jobs by import path with pickled arguments, so the job function must be a
module-level function and cannot receive our runner as an argument. The one piece of
process-wide state here, `_bound_runner`, exists for that reason alone: the worker
command builds the runner in its main and binds it before the RQ loop starts; the job
function reads it. Jobs carry nothing but the task id.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from redis import Redis
from rq import Queue
from rq.job import Job, JobStatus

from bot.queue.runner import TaskRunner, default_worker_id

log = logging.getLogger("codemonkey.queue.rq")

JOB_FUNCTION = "bot.queue.rq_backend.run_task_job"
# The id's current job is remembered so re-offering an id still waiting adds no duplicate.
_MARKER_TTL_SECONDS = 24 * 3600

_bound_runner: list[TaskRunner] = []


def bind_runner(runner: TaskRunner) -> None:
    """Called once by the worker command before RQ starts taking jobs."""
    _bound_runner[:] = [runner]


def unbind_runner() -> None:
    _bound_runner.clear()


def run_task_job(task_id: int) -> str | None:
    """The RQ job function: claims and runs the task; its outcome lives in SQL."""
    if not _bound_runner:
        raise RuntimeError(
            "no task runner bound in this process; run jobs with `codemonkey worker` "
            "(or call bot.queue.rq_backend.bind_runner first)"
        )
    outcome = _bound_runner[0].run(int(task_id), default_worker_id())
    return outcome.state.value if outcome.state else None


class RQTaskQueue:
    """A `TaskQueue` on Redis. Constructing it does no I/O."""

    def __init__(self, redis: Redis, name: str) -> None:
        self._redis = redis
        self.name = name
        # job_timeout -1: the lease, not RQ, decides when a task is dead; a long agent run
        # must not be killed by RQ's default 180 s.
        self.rq_queue = Queue(name, connection=redis, default_timeout=-1)

    def _marker(self, task_id: int) -> str:
        return f"codemonkey:rq:{self.name}:task:{task_id}"

    def enqueue(self, task_ids: Iterable[int]) -> None:
        ids = list(dict.fromkeys(int(i) for i in task_ids))
        if not ids:
            return
        current = self._redis.mget([self._marker(i) for i in ids])
        known = {
            i: m.decode() if isinstance(m, bytes) else str(m)
            for i, m in zip(ids, current, strict=True)
            if m is not None
        }
        waiting: set[int] = set()
        if known:
            jobs = Job.fetch_many(list(known.values()), connection=self._redis)
            waiting = {
                i
                for i, job in zip(known, jobs, strict=True)
                if job is not None and job.get_status(refresh=False) == JobStatus.QUEUED
            }
        fresh = [i for i in ids if i not in waiting]
        if not fresh:
            return
        datas = [
            Queue.prepare_data(
                JOB_FUNCTION,
                args=(i,),
                timeout=-1,
                result_ttl=0,
                failure_ttl=3600,
                description=f"task {i}",
            )
            for i in fresh
        ]
        # The jobs and their markers go to Redis in one round trip.
        with self._redis.pipeline() as pipe:
            jobs_made = self.rq_queue.enqueue_many(datas, pipeline=pipe)
            for task_id, job in zip(fresh, jobs_made, strict=True):
                pipe.set(self._marker(task_id), job.id, ex=_MARKER_TTL_SECONDS)
            pipe.execute()

    def depth(self) -> int:
        return int(self.rq_queue.count)
