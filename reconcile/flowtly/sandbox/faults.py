"""Injected faults: slowness, failures, rate limits and answers lost after the change was stored.

All randomness comes from one generator seeded with `fault_seed`, drawn under a lock, so a test that
sends its requests one after another sees the same faults on every run. Options are read at each call:
a test may switch a fault on or off while the sandbox runs.
"""

from __future__ import annotations

import math
import random
import threading
import time
from collections import deque
from enum import Enum

from .options import SandboxOptions


class LostAnswer(Enum):
    """How the answer to a stored change is lost (the half-and-half of drop_after_commit_rate)."""

    DROPPED = "dropped"  # the connection is closed without a byte of response
    BAD_GATEWAY = "502"  # a proxy in front answers 502 although the application stored the change


class Faults:
    """Decides, request by request, which fault (if any) strikes."""

    def __init__(self, options: SandboxOptions) -> None:
        self.options = options
        self._random = random.Random(options.fault_seed)
        self._lock = threading.Lock()
        self._recent: dict[
            str, deque[float]
        ] = {}  # token -> times of the requests let through in the last second

    def delay(self) -> None:
        if self.options.latency_ms > 0:
            time.sleep(self.options.latency_ms / 1000)

    def failure(self) -> int | None:
        """500 or 503 (half each) for a `fail_rate` share of requests, before anything is done."""
        rate = self.options.fail_rate
        if rate <= 0:
            return None
        with self._lock:
            if self._random.random() >= rate:
                return None
            return 500 if self._random.random() < 0.5 else 503

    def retry_after(self, token: str) -> int | None:
        """Seconds to wait when this token went over `rate_limit` requests in the last second, else None.

        A sliding one-second window per token; refused requests do not count against it.
        """
        limit = self.options.rate_limit
        if limit is None:
            return None
        now = time.monotonic()
        with self._lock:
            recent = self._recent.setdefault(token, deque())
            while recent and now - recent[0] >= 1.0:
                recent.popleft()
            if len(recent) >= limit:
                return max(1, math.ceil(1.0 - (now - recent[0])))
            recent.append(now)
            return None

    def lost_answer(self) -> LostAnswer | None:
        """Whether the answer to a change that was just stored is lost, and how."""
        rate = self.options.drop_after_commit_rate
        if rate <= 0:
            return None
        with self._lock:
            if self._random.random() >= rate:
                return None
            return LostAnswer.DROPPED if self._random.random() < 0.5 else LostAnswer.BAD_GATEWAY
