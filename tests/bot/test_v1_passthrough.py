"""Gateway mode's raw path: the bytes the caller and the upstream see, retries and fallback
before the first byte, usage rows from the upstream's usage object."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from storage.sql.models import Usage
from tests.bot.raw_upstream import Answer, RawUpstream, raw_upstream
from tests.bot.v1_support import V1App, eventually, served_v1, v1_settings

MODEL = "gpt-test"
FALLBACK = "gpt-spare"

# Odd spacing, key order and fields no SDK model knows: a re-serialiser would change them.
REQUEST = (
    '{ "messages" : [{"role":"user","content":"h\\u00e9llo \\"quoted\\""}],\n'
    '  "model" : "openai/gpt-test", "x_vendor_flag": {"keep": [1, 2.50, true]},'
    '"max_tokens":7 }'
)
ANSWER = (
    '{"id":"chatcmpl-raw1", "object":"chat.completion","created":1700000000,'
    '"model":"gpt-test-2025-01-01","service_tier":"flex",'
    '"choices":[{"index":0,"message":{"role":"assistant","content":"h\\u00e9 \\"model\\":\\"x\\""},'
    '"finish_reason":"stop","logprobs":null,"vendor_extra":[1,2.50]}],'
    '"usage":{"prompt_tokens":12,"completion_tokens":5,"total_tokens":17,'
    '"prompt_tokens_details":{"cached_tokens":2},"cost":0.125}}'
)


def _event(payload: str) -> bytes:
    return f"data: {payload}\n\n".encode()


CHUNKS = (
    '{"id":"c1","object":"chat.completion.chunk","created":1,"model":"gpt-test",'
    '"choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}],'
    '"usage":null, "obfuscation":"a1"}',
    '{"id":"c1","object":"chat.completion.chunk","created":1,"model":"gpt-test",'
    '"choices":[{"index":0,"delta":{"content":"Hel"},"finish_reason":null}],"usage":null}',
    '{"id":"c1","object":"chat.completion.chunk","created":1,"model":"gpt-test",'
    '"choices":[{"index":0,"delta":{"content":"lo"},"finish_reason":"stop"}],"usage":null}',
)
USAGE_CHUNK = (
    '{"id":"c1","object":"chat.completion.chunk","created":1,"model":"gpt-test","choices":[],'
    '"usage":{"prompt_tokens":9,"completion_tokens":2,"total_tokens":11}}'
)


@pytest.fixture
def upstream() -> Iterator[RawUpstream]:
    with raw_upstream() as served:
        yield served


@pytest.fixture
def gateway(tmp_path: Path, upstream: RawUpstream) -> Iterator[V1App]:
    settings = v1_settings(
        tmp_path,
        gateway_mode=True,
        default_model=f"openai:{MODEL}",
        openai_base_url=upstream.url,
        openai_api_key="sk-upstream-server-key",
        fallback_models={f"openai:{MODEL}": [f"openai:{FALLBACK}"]},
        llm_max_retries=1,
    )
    with served_v1(settings, []) as app:
        yield app


def _post(app: V1App, body: str) -> httpx.Response:
    return httpx.post(
        f"{app.url}/v1/chat/completions",
        content=body.encode(),
        headers={"authorization": f"Bearer {app.key}", "content-type": "application/json"},
        timeout=10,
    )


def _usage_rows(app: V1App, count: int) -> list[Usage]:
    def probe() -> list[Usage] | None:
        with app.services.database.session() as session:
            rows = list(session.scalars(select(Usage).order_by(Usage.id)))
            for row in rows:
                session.expunge(row)
        return rows if len(rows) >= count else None

    return eventually(probe)


def test_request_and_answer_bytes_pass_unchanged_but_for_the_model(
    gateway: V1App, upstream: RawUpstream
) -> None:
    upstream.answers.append(Answer(body=ANSWER.encode()))
    answered = _post(gateway, REQUEST)
    assert answered.status_code == 200, answered.text
    sent = upstream.received[0]
    assert sent.body == REQUEST.replace('"openai/gpt-test"', '"gpt-test"').encode()
    assert (
        answered.content
        == ANSWER.replace('"model":"gpt-test-2025-01-01"', '"model":"openai/gpt-test"').encode()
    )
    # The upstream sees the server's key, never the caller's.
    assert sent.headers["authorization"] == "Bearer sk-upstream-server-key"
    assert gateway.key not in json.dumps(sent.headers)
    row = _usage_rows(gateway, 1)[0]
    assert (row.provider, row.model, row.ok) == ("openai", MODEL, True)
    assert (row.input_tokens, row.cache_read_tokens, row.output_tokens) == (10, 2, 5)
    assert row.cost_usd == pytest.approx(0.125)  # the upstream's own figure


def _stream_request(include_usage: bool | None) -> str:
    body: dict[str, object] = {
        "model": "openai/gpt-test",
        "stream": True,
        "messages": [{"role": "user", "content": "hi"}],
    }
    if include_usage is not None:
        body["stream_options"] = {"include_usage": include_usage}
    return json.dumps(body)


def _streamed(upstream: RawUpstream) -> tuple[bytes, ...]:
    events = [_event(chunk) for chunk in CHUNKS]
    # Cut mid-event, as TCP may: the gateway must reassemble, not re-serialise.
    events[1:2] = [events[1][:17], events[1][17:]]
    return (*events, _event(USAGE_CHUNK), b"data: [DONE]\n\n")


def _renamed(chunk: str) -> bytes:
    return _event(chunk.replace('"model":"gpt-test"', '"model":"openai/gpt-test"'))


def test_stream_chunks_are_forwarded_as_sent_and_usage_asked_for(
    gateway: V1App, upstream: RawUpstream
) -> None:
    upstream.answers.append(Answer(events=_streamed(upstream)))
    answered = _post(gateway, _stream_request(None))
    assert answered.status_code == 200, answered.text
    expected = b"".join(_renamed(chunk) for chunk in CHUNKS) + b"data: [DONE]\n\n"
    assert answered.content == expected  # and the usage chunk we asked for is not passed on
    assert json.loads(upstream.received[0].body)["stream_options"] == {"include_usage": True}
    row = _usage_rows(gateway, 1)[0]
    assert (row.input_tokens, row.output_tokens, row.ok) == (9, 2, True)


def test_a_caller_who_asks_for_usage_gets_the_upstream_usage_chunk(
    gateway: V1App, upstream: RawUpstream
) -> None:
    upstream.answers.append(Answer(events=_streamed(upstream)))
    request = _stream_request(True)
    answered = _post(gateway, request)
    assert upstream.received[0].body == request.replace('"openai/gpt-test"', '"gpt-test"').encode()
    assert answered.content.endswith(_renamed(USAGE_CHUNK) + b"data: [DONE]\n\n")


def test_a_chunk_reaches_the_caller_before_the_upstream_sends_the_next(
    gateway: V1App, upstream: RawUpstream
) -> None:
    release = threading.Event()
    upstream.answers.append(Answer(events=_streamed(upstream), hold=release))
    url = f"{gateway.url}/v1/chat/completions"
    headers = {"authorization": f"Bearer {gateway.key}"}
    with httpx.stream(
        "POST", url, content=_stream_request(None), headers=headers, timeout=5
    ) as answered:
        pieces = answered.iter_raw()
        first = next(pieces)  # the upstream holds everything after its first event
        release.set()
        rest = b"".join(pieces)
    assert first == _renamed(CHUNKS[0])
    assert rest.endswith(b"data: [DONE]\n\n")


def test_a_caller_who_leaves_mid_stream_is_accounted_and_the_upstream_let_go(
    gateway: V1App, upstream: RawUpstream
) -> None:
    held = threading.Event()  # the upstream sends nothing more while the caller is there
    upstream.answers.append(Answer(events=_streamed(upstream), hold=held))
    url = f"{gateway.url}/v1/chat/completions"
    headers = {"authorization": f"Bearer {gateway.key}"}
    try:
        with httpx.stream(
            "POST", url, content=_stream_request(None), headers=headers, timeout=5
        ) as answered:
            assert next(answered.iter_raw()) == _renamed(CHUNKS[0])
        # The caller has closed the connection: the call is accounted without waiting
        # for the upstream's end.
        rows = _usage_rows(gateway, 1)
        assert [(r.model, r.ok) for r in rows] == [(MODEL, False)]
    finally:
        held.set()


def test_a_429_before_the_first_byte_is_retried(gateway: V1App, upstream: RawUpstream) -> None:
    upstream.answers += [
        Answer(429, b'{"error":{"message":"slow down"}}', headers=(("retry-after", "0"),)),
        Answer(body=ANSWER.encode()),
    ]
    answered = _post(gateway, REQUEST)
    assert answered.status_code == 200
    assert [json.loads(r.body)["model"] for r in upstream.received] == [MODEL, MODEL]


def test_a_5xx_after_retries_falls_back_to_the_next_model_also_when_streaming(
    gateway: V1App, upstream: RawUpstream
) -> None:
    boom = Answer(500, b'{"error":{"message":"boom"}}', headers=(("retry-after", "0"),))
    upstream.answers += [boom, boom, Answer(events=_streamed(upstream))]
    answered = _post(gateway, _stream_request(None))
    assert answered.status_code == 200
    assert [json.loads(r.body)["model"] for r in upstream.received] == [MODEL, MODEL, FALLBACK]
    assert answered.content.endswith(b"data: [DONE]\n\n")
    rows = _usage_rows(gateway, 2)
    assert [(r.model, r.ok) for r in rows] == [(MODEL, False), (FALLBACK, True)]


def test_a_failure_after_the_first_byte_is_an_error_event_not_a_retry(
    gateway: V1App, upstream: RawUpstream
) -> None:
    error = '{"error":{"message":"UPSTREAM-SECRET at http://10.0.0.9","code":502}}'
    upstream.answers += [
        Answer(events=(_event(CHUNKS[0]), _event(error))),
        Answer(body=ANSWER.encode()),
    ]
    answered = _post(gateway, _stream_request(None))
    assert len(upstream.received) == 1
    assert answered.content.startswith(_renamed(CHUNKS[0]))
    last = json.loads(answered.content.split(b"data: ")[-1])
    assert last["error"]["code"] == "upstream_error"
    assert "UPSTREAM-SECRET" not in answered.text and "10.0.0.9" not in answered.text


def test_errors_stay_openai_shaped_without_upstream_text(
    gateway: V1App, upstream: RawUpstream
) -> None:
    refusal = b'{"error":{"message":"UPSTREAM-SECRET key sk-proj-1 of org-9 at http://10.0.0.9"}}'
    upstream.answers += [Answer(400, refusal)]
    answered = _post(gateway, REQUEST)
    assert answered.status_code == 400
    assert answered.json()["error"]["code"] == "invalid_request"
    for leaked in ("UPSTREAM-SECRET", "sk-proj", "org-9", "10.0.0.9", "127.0.0.1"):
        assert leaked not in answered.text
