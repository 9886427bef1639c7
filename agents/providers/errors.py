"""One error hierarchy for every provider.

Each provider translates its SDK or HTTP errors into these in exactly one place, so the
retry policy, the fallback chain and the CLI only ever see these types. Every message says
how to fix the problem.
"""

from __future__ import annotations

from agents.providers.redact import redact_urls


class ProviderError(Exception):
    """A model call failed. `retryable` says whether the same call may succeed later."""

    retryable = False
    # Moving to the next model in the fallback chain makes sense for this error.
    fallback = False

    def __init__(self, message: str, *, provider: str = "", status: int | None = None) -> None:
        # Messages name base URLs, which may carry a password; the error never does.
        super().__init__(redact_urls(message))
        self.provider = provider
        self.status = status


class ConfigurationError(ProviderError):
    """The provider is not configured (no key, unknown provider, bad model id)."""

    fallback = True


class AuthenticationError(ProviderError):
    """The key was refused (401) or lacks permission (403)."""

    fallback = True


class QuotaExceededError(ProviderError):
    """The account is out of credits (402, or a billing error)."""

    fallback = True


class InvalidRequestError(ProviderError):
    """The provider rejected the request itself; sending it again cannot succeed."""


class ModelNotFoundError(ProviderError):
    """The model does not exist on this provider (or is not pulled, for Ollama)."""

    fallback = True


class RateLimitError(ProviderError):
    """429: too many requests. `retry_after` is the provider's hint in seconds, if any."""

    retryable = True
    fallback = True

    def __init__(
        self,
        message: str,
        *,
        provider: str = "",
        status: int | None = 429,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, provider=provider, status=status)
        self.retry_after = retry_after


class ServerError(ProviderError):
    """5xx from the provider."""

    retryable = True
    fallback = True

    def __init__(
        self,
        message: str,
        *,
        provider: str = "",
        status: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, provider=provider, status=status)
        self.retry_after = retry_after


class OverloadedError(ServerError):
    """Anthropic's 529 `overloaded_error`, OpenRouter's 503 "no provider available"."""


class ProviderTimeout(ProviderError):
    retryable = True
    fallback = True


class ProviderConnectionError(ProviderError):
    """The provider could not be reached (refused, DNS, reset before a response)."""

    retryable = True
    fallback = True


class StreamInterruptedError(ProviderError):
    """A response stopped part-way; the partial answer is never returned as if complete."""

    retryable = True
    fallback = True

    def __init__(self, message: str, *, provider: str = "", partial_text: str = "") -> None:
        super().__init__(message, provider=provider)
        self.partial_text = partial_text


class ScriptExhaustedError(ProviderError):
    """A scripted test model was called more times than its script has replies."""


class AllModelsFailedError(ProviderError):
    """Every model in the fallback chain failed; `errors` holds each model's error."""

    def __init__(self, errors: list[tuple[str, ProviderError]]) -> None:
        lines = "; ".join(f"{model}: {error}" for model, error in errors)
        last = errors[-1][1] if errors else None
        super().__init__(
            f"every model in the fallback chain failed ({lines})",
            provider=last.provider if last else "",
            status=last.status if last else None,
        )
        self.errors = errors
