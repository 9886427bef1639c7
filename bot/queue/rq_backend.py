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
from typing import Any

from redis import Redis
from rq import Queue
from rq.job import Job, JobStatus

from bot.queue.runner import TaskRunner, default_worker_id

log = logging.getLogger("codemonkey.queue.rq")

JOB_FUNCTION = "bot.queue.rq_backend.run_task_job"
# The id's current job is remembered so re-offering an id still waiting adds no duplicate.
_MARKER_TTL_SECONDS = 24 * 3600

_bound_runner: list[TaskRunner] = []

# ARGV: the job key prefix, the waiting status, then per task id: its marker key, the number
# of commands RQ issues to enqueue its new job (the marker's SET last), and each command as
# its length and words. A task whose marked job still waits is skipped, all in one atomic
# round trip instead of a marker read, a job read and a MULTI/EXEC.
_ENQUEUE_UNLESS_WAITING = """
local i = 3
while i <= #ARGV do
  local current = redis.call('GET', ARGV[i])
  local waiting = current and redis.call('HGET', ARGV[1] .. current, 'status') == ARGV[2]
  local count = tonumber(ARGV[i + 1])
  i = i + 2
  for _ = 1, count do
    local size = tonumber(ARGV[i])
    if not waiting then
      redis.call(unpack(ARGV, i + 1, i + size))
    end
    i = i + size + 1
  end
end
return 0
"""


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
        self._enqueue_unless_waiting = redis.register_script(_ENQUEUE_UNLESS_WAITING)

    def _marker(self, task_id: int) -> str:
        return f"codemonkey:rq:{self.name}:task:{task_id}"

    def enqueue(self, task_ids: Iterable[int]) -> None:
        """One Redis round trip: RQ writes each job's commands into a pipeline that is never
        executed; a script then runs them for the ids whose current job is not waiting."""
        ids = list(dict.fromkeys(int(i) for i in task_ids))
        if not ids:
            return
        args: list[Any] = [Job.redis_job_namespace_prefix, JobStatus.QUEUED.value]
        for task_id in ids:
            data = Queue.prepare_data(
                JOB_FUNCTION,
                args=(task_id,),
                timeout=-1,
                result_ttl=0,
                failure_ttl=3600,
                description=f"task {task_id}",
            )
            recorder = self._redis.pipeline()
            (job,) = self.rq_queue.enqueue_many([data], pipeline=recorder)
            recorder.set(self._marker(task_id), job.id, ex=_MARKER_TTL_SECONDS)
            commands = [command for command, _options in recorder.command_stack]
            recorder.reset()
            args += [self._marker(task_id), len(commands)]
            for command in commands:
                args += [len(command), *command]
        self._enqueue_unless_waiting(args=args)

    def depth(self) -> int:
        return int(self.rq_queue.count)
