"""API keys for scripts: the key format, its hash, and the per-address failure throttle.

A key is ``pa_<id>_<secret>``: ``pa_`` so it is recognisable (in a config file, a log, a
secret scanner), a public id (64 random bits, 16 hex characters) by which it is looked up,
and a secret of 256 random bits (43 URL-safe base64 characters). It is shown once, when it
is made; the database keeps only the SHA-256 of the whole key. A fast hash is right here:
the secret is random and long, so there is nothing to guess and no dictionary to try; a
slow password hash (argon2) would only make every exchange slower and easier to flood.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass

PREFIX = "pa_"
ID_HEX_CHARS = 16  # 64 bits
SECRET_BYTES = 32  # 256 bits, 43 characters of URL-safe base64
KEY_PATTERN = re.compile(r"pa_(?P<id>[0-9a-f]{16})_(?P<secret>[A-Za-z0-9_-]{43})")
KEY_ID_PATTERN = r"^[0-9a-f]{16}$"
KEY_FORMAT = "pa_<16 hex characters>_<43 characters>"


@dataclass(frozen=True)
class NewKey:
    id: str
    key: str  # the whole key: shown once, never stored
    secret_hash: str


def new_api_key() -> NewKey:
    key_id = secrets.token_hex(ID_HEX_CHARS // 2)
    key = f"{PREFIX}{key_id}_{secrets.token_urlsafe(SECRET_BYTES)}"
    return NewKey(key_id, key, hash_api_key(key))


def hash_api_key(key: str) -> str:
    """SHA-256 of the whole key (id included, so a hash cannot be moved to another id)."""
    return hashlib.sha256(key.encode()).hexdigest()


def parse_key_id(key: str) -> str | None:
    """The key's public id, or None when the text is not shaped like one of our keys."""
    match = KEY_PATTERN.fullmatch(key)
    return match["id"] if match else None


def matches(key: str, secret_hash: str) -> bool:
    """Constant-time comparison of the key's hash with the stored one."""
    return hmac.compare_digest(hash_api_key(key), secret_hash)


class FailureThrottle:
    """Failed exchanges per client address, counted over a sliding window, in this process.

    Keys cannot be guessed (256 random bits), so this is defence in depth and a brake on
    floods: past ``limit`` failures within ``window_seconds`` an address is refused (429)
    until the oldest failure leaves the window. Successes are not counted.
    """

    def __init__(
        self, limit: int = 10, window_seconds: int = 60, max_addresses: int = 100_000
    ) -> None:
        self.limit = limit
        self.window_seconds = window_seconds
        self.max_addresses = max_addresses
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, address: str, now: float) -> deque[float]:
        times = self._failures.get(address)
        if times is None:
            return deque()
        while times and times[0] <= now - self.window_seconds:
            times.popleft()
        if not times:
            del self._failures[address]
        return times

    def retry_after(self, address: str, now: float | None = None) -> int | None:
        """Seconds until this address may try again, or None when it may now."""
        now = time.monotonic() if now is None else now
        with self._lock:
            times = self._recent(address, now)
            if len(times) < self.limit:
                return None
            return max(1, int(times[-self.limit] + self.window_seconds - now + 0.999))

    def record(self, address: str, now: float | None = None) -> int:
        """Count one failure; returns the failures of this address within the window."""
        now = time.monotonic() if now is None else now
        with self._lock:
            times = self._recent(address, now)
            if address not in self._failures:
                if len(self._failures) >= self.max_addresses:
                    self._prune(now)
                self._failures[address] = times
            times.append(now)
            while len(times) > self.limit:
                times.popleft()  # only the last `limit` matter for retry_after
            return len(times)

    def _prune(self, now: float) -> None:
        for address in list(self._failures):
            self._recent(address, now)
        while len(self._failures) >= self.max_addresses:  # still full: forget the oldest
            del self._failures[next(iter(self._failures))]
