"""RQ enqueue: one Redis round trip per batch, and no second job for an id still waiting."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from redis import Redis
from rq.job import Job, JobStatus

from bot.queue.rq_backend import JOB_FUNCTION, RQTaskQueue
from tests.conftest import REDIS_URL


@pytest.fixture
def queue() -> Iterator[RQTaskQueue]:
    redis: Redis = Redis.from_url(REDIS_URL)
    made = RQTaskQueue(redis, f"enqueue-{uuid.uuid4().hex[:12]}")
    try:
        yield made
    finally:
        made.rq_queue.delete(delete_jobs=True)
        markers = redis.keys(f"codemonkey:rq:{made.name}:task:*")
        if markers:
            redis.delete(*markers)
        redis.close()


def test_a_batch_is_one_round_trip(queue: RQTaskQueue, monkeypatch: pytest.MonkeyPatch) -> None:
    queue.enqueue([1])  # loads the script once
    sent: list[Any] = []
    original: Callable[..., Any] = queue._redis.execute_command

    def counting(*args: Any, **options: Any) -> Any:
        sent.append(args[0])
        return original(*args, **options)

    monkeypatch.setattr(queue._redis, "execute_command", counting)
    queue.enqueue([2, 3, 4])
    assert sent == ["EVALSHA"]
    assert queue.depth() == 4


def test_jobs_carry_the_task_id_and_a_waiting_id_is_not_added_twice(queue: RQTaskQueue) -> None:
    queue.enqueue([7, 8])
    queue.enqueue([8, 9])
    jobs = [Job.fetch(i, connection=queue._redis) for i in queue.rq_queue.job_ids]
    assert [(job.func_name, job.args) for job in jobs] == [
        (JOB_FUNCTION, (7,)),
        (JOB_FUNCTION, (8,)),
        (JOB_FUNCTION, (9,)),
    ]
    assert all(job.timeout == -1 for job in jobs)


def test_an_id_whose_job_left_the_queue_is_enqueued_again(queue: RQTaskQueue) -> None:
    queue.enqueue([5])
    (first,) = queue.rq_queue.job_ids
    queue.rq_queue.remove(first)
    Job.fetch(first, connection=queue._redis).set_status(JobStatus.STARTED)
    queue.enqueue([5])
    assert len(queue.rq_queue.job_ids) == 1 and queue.rq_queue.job_ids[0] != first
