"""Cache, locks and rate counters: in-process or on Redis, behind one contract."""

from storage.kv.base import (
    Cache,
    KvError,
    KvUnavailableError,
    Lease,
    LockManager,
    RateDecision,
    RateLimiter,
)
from storage.kv.factory import KvBackends, build_kv, check_kv

__all__ = [
    "Cache",
    "KvBackends",
    "KvError",
    "KvUnavailableError",
    "Lease",
    "LockManager",
    "RateDecision",
    "RateLimiter",
    "build_kv",
    "check_kv",
]
