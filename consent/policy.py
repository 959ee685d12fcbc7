"""The published policy version a consent refers to, held in memory so reading consent costs
no database query.

Each process keeps the current version for at most ``TTL_SECONDS``; publishing a version in
this process forgets it at once (``forget_policy`` is connected to PolicyVersion's saves), and
other processes see it within the TTL.
"""

import threading
import time
from dataclasses import dataclass

from privacy.models import PolicyVersion
from privacy.registry import registry

TTL_SECONDS = 60.0


@dataclass(frozen=True)
class PolicyState:
    """The policy version number (0 before the first is published) and its cookie hash."""

    version: int
    consent_hash: str


_lock = threading.Lock()
_memo: tuple[float, PolicyState] | None = None


def current_policy() -> PolicyState:
    global _memo
    memo = _memo
    if memo is not None and memo[0] > time.monotonic():
        return memo[1]
    state = _load()
    with _lock:
        _memo = (time.monotonic() + TTL_SECONDS, state)
    return state


def forget_policy(**kwargs) -> None:
    """Drop the remembered version (a new one was published)."""
    global _memo
    with _lock:
        _memo = None


def _load() -> PolicyState:
    version = PolicyVersion.objects.current()
    if version is None:
        return PolicyState(version=0, consent_hash=registry.content_hash(sections=("cookies",)))
    return PolicyState(version=version.number, consent_hash=version.consent_hash)
