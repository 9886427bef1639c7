"""Provider failures as OpenAI-shaped errors: the one table for `/v1`.

The caller gets a fixed message per kind of failure, never the provider's own text: that
text is the upstream's answer to *our* request (it can quote our base URL, our account or
key id, or anything the upstream chose to say). The full error goes to the server log,
with URL passwords redacted (`ProviderError` redacts its message).
"""

from __future__ import annotations

import logging

from agents.providers import errors
from bot.outages import OUTAGE_MESSAGE, is_outage, retry_after_header
from bot.v1.errors import OpenAIError

log = logging.getLogger(__name__)

_RETRY = "Retry later; if it persists, the server's operator can find the cause in its logs."

# Checked in order; the first class the error is an instance of decides.
_TABLE: tuple[tuple[type[errors.ProviderError], int, str, str, str], ...] = (
    (
        errors.InvalidRequestError,
        400,
        "invalid_request_error",
        "invalid_request",
        "The model provider rejected the request as invalid; check the messages, tools "
        "and options you sent (for example the context length or max_tokens).",
    ),
    (
        errors.ModelNotFoundError,
        404,
        "invalid_request_error",
        "model_not_found",
        "The model provider does not serve the configured model. GET /v1/models lists "
        "the models you can use.",
    ),
    (
        errors.RateLimitError,
        429,
        "requests",
        "rate_limit_exceeded",
        "The model provider is rate limiting this server; retry after the delay in Retry-After.",
    ),
    (
        errors.QuotaExceededError,
        429,
        "insufficient_quota",
        "insufficient_quota",
        "The model provider account behind this server is out of quota. " + _RETRY,
    ),
    # The upstream refused *our* credentials: the caller's key is fine, so not a 401.
    (
        errors.AuthenticationError,
        502,
        "server_error",
        "upstream_authentication",
        "The model provider refused this server's credentials. " + _RETRY,
    ),
    (
        errors.ConfigurationError,
        502,
        "server_error",
        "upstream_not_configured",
        "The model provider is not configured on this server. " + _RETRY,
    ),
    (
        errors.ProviderTimeout,
        504,
        "server_error",
        "upstream_timeout",
        "The model provider did not answer in time. " + _RETRY,
    ),
    (
        errors.OverloadedError,
        503,
        "server_error",
        "upstream_overloaded",
        "The model provider is overloaded. " + _RETRY,
    ),
    (
        errors.ServerError,
        502,
        "server_error",
        "upstream_error",
        "The model provider failed. " + _RETRY,
    ),
    (
        errors.ProviderConnectionError,
        502,
        "server_error",
        "upstream_unreachable",
        "The model provider could not be reached. " + _RETRY,
    ),
    (
        errors.StreamInterruptedError,
        502,
        "server_error",
        "upstream_stream_interrupted",
        "The model provider's stream was interrupted. " + _RETRY,
    ),
    (
        errors.ProviderError,
        502,
        "server_error",
        "upstream_error",
        "The model provider failed. " + _RETRY,
    ),
)


def backend_unavailable() -> OpenAIError:
    return OpenAIError(
        503,
        OUTAGE_MESSAGE,
        error_type="server_error",
        code="service_unavailable",
        headers=retry_after_header(),
    )


def map_provider_error(exc: BaseException) -> OpenAIError | None:
    """The OpenAI-shaped answer for a provider failure or a backend outage (database or
    Redis down: 503 with Retry-After); None for anything else."""
    if is_outage(exc):
        log.error("a backend is unavailable: %s", type(exc).__name__)
        return backend_unavailable()
    if isinstance(exc, errors.AllModelsFailedError) and exc.errors:
        # Report the last model's failure: it is what the caller could act on.
        exc = exc.errors[-1][1]
    if not isinstance(exc, errors.ProviderError):
        return None
    for cls, status, error_type, code, message in _TABLE:
        if isinstance(exc, cls):
            log.warning("model call failed (%s, answered %d): %s", code, status, exc)
            headers = {}
            retry_after = getattr(exc, "retry_after", None)
            if status in (429, 503):
                headers["retry-after"] = str(max(1, round((retry_after or 0) + 0.5)))
            return OpenAIError(status, message, error_type=error_type, code=code, headers=headers)
    return None
