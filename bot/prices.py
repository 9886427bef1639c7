"""What reports say when a model has no known price (its calls count as unknown, not $0)."""

PRICE_HINT = (
    "Some model calls have no known price; set CODEMONKEY_PRICES, e.g. "
    '\'{"openai:my-model": {"input": 1.0, "output": 4.0}}\' (USD per million tokens)'
)
