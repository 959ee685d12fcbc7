"""The policy page's text, rendered once per policy version, language and registry content.

Rendering the policy (every activity, retention rule and cookie of the registry) costs about ten
times a home page. Its text depends only on the published version, the registry, the language
and settings; the per-request parts of the page (consent banner and its return link, messages,
the Matomo snippet with the CSP nonce) live in base.html, outside the cached part, so a cached
text never carries a nonce or another visitor's state. The store is per process: a deploy
starts new processes, a newly published version or a changed registry makes a new key, and a
changed setting (tests) empties it.
"""

from collections.abc import Hashable, Mapping

from django.core.signals import setting_changed
from django.dispatch import receiver

from .registry import registry

# A few keys per process (versions × languages); beyond this the store starts over.
MAX_ENTRIES = 32


class RenderedOnce:
    def __init__(self) -> None:
        self._bodies: dict[Hashable, str] = {}

    def get(self, key: Hashable) -> str | None:
        return self._bodies.get(key)

    def put(self, key: Hashable, body: str) -> None:
        if len(self._bodies) >= MAX_ENTRIES:
            self._bodies.clear()
        self._bodies[key] = body

    def clear(self) -> None:
        self._bodies.clear()


bodies = RenderedOnce()

_digest: tuple[tuple, str] | None = None


def _registry_items() -> tuple:
    tables: dict[str, Mapping[str, object]] = {
        "activity": registry.activities,
        "cookie": registry.cookies,
        "holder": registry.holders,
    }
    return tuple(
        ((kind, key), item) for kind, table in tables.items() for key, item in table.items()
    )


def _same(a: tuple, b: tuple) -> bool:
    return len(a) == len(b) and all(
        ka == kb and va is vb for (ka, va), (kb, vb) in zip(a, b, strict=True)
    )


def registry_digest() -> str:
    """``registry.content_hash()``, recomputed only when a declaration was added or replaced.

    Hashing the registry is the dearest part of the policy page; its declarations are fixed
    once the apps are loaded, so identity of the declared objects tells whether it changed.
    """
    global _digest
    items = _registry_items()
    if _digest is None or not _same(_digest[0], items):
        _digest = (items, registry.content_hash())
    return _digest[1]


def policy_key(*, language: str, version) -> tuple:
    facts = None
    if version is not None:
        facts = (version.pk, version.number, version.changed_on, version.registry_hash)
    return ("policy", language, registry_digest(), facts)


@receiver(setting_changed)
def _forget(**kwargs) -> None:
    bodies.clear()
