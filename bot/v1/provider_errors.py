"""Provider failures as OpenAI-shaped errors: the one table for `/v1`."""

from __future__ import annotations

from agents.providers import errors
from bot.v1.errors import OpenAIError

# Checked in order; the first class the error is an instance of decides.
_TABLE: tuple[tuple[type[errors.ProviderError], int, str, str], ...] = (
    (errors.InvalidRequestError, 400, "invalid_request_error", "invalid_request"),
    (errors.ModelNotFoundError, 404, "invalid_request_error", "model_not_found"),
    (errors.RateLimitError, 429, "requests", "rate_limit_exceeded"),
    (errors.QuotaExceededError, 429, "insufficient_quota", "insufficient_quota"),
    # The upstream refused *our* credentials: the caller's key is fine, so not a 401.
    (errors.AuthenticationError, 502, "server_error", "upstream_authentication"),
    (errors.ConfigurationError, 502, "server_error", "upstream_not_configured"),
    (errors.ProviderTimeout, 504, "server_error", "upstream_timeout"),
    (errors.OverloadedError, 503, "server_error", "upstream_overloaded"),
    (errors.ServerError, 502, "server_error", "upstream_error"),
    (errors.ProviderConnectionError, 502, "server_error", "upstream_unreachable"),
    (errors.StreamInterruptedError, 502, "server_error", "upstream_stream_interrupted"),
    (errors.ProviderError, 502, "server_error", "upstream_error"),
)


def map_provider_error(exc: BaseException) -> OpenAIError | None:
    if isinstance(exc, errors.AllModelsFailedError) and exc.errors:
        # Report the last model's failure: it is what the caller could act on.
        exc = exc.errors[-1][1]
    if not isinstance(exc, errors.ProviderError):
        return None
    for cls, status, error_type, code in _TABLE:
        if isinstance(exc, cls):
            headers = {}
            retry_after = getattr(exc, "retry_after", None)
            if status == 429 and retry_after:
                headers["retry-after"] = str(max(1, round(retry_after + 0.5)))
            return OpenAIError(status, str(exc), error_type=error_type, code=code, headers=headers)
    return None
