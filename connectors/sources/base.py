"""The two source contracts (see the package docstring)."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol, runtime_checkable

from schemas.models import RawMessage


@runtime_checkable
class PullSource(Protocol):
    name: str

    def read(self) -> Iterator[RawMessage]:
        """The inputs not yet acknowledged, in a stable order."""

    def ack(self, raw: RawMessage) -> None:
        """`raw`'s outputs are durable: the source may forget it."""


@runtime_checkable
class RawPublisher(Protocol):
    @property
    def ready(self) -> bool:
        """Connected and able to store (a readiness probe reports it)."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def publish(self, topic: str, value: bytes, headers: dict[str, str],
                      key: bytes | None = None) -> str:
        """Store one raw input durably; return where. Raise TransientError when it was not
        stored (the push source then answers with a retryable failure)."""
