"""`lazy_property`: `functools.cached_property` without the lock.

Python 3.11's cached_property takes one RLock per property (shared by every instance) on
each first read: ~0.5 us a time, and the bounce path first-reads ~10 of them per email
(MailView, classifier Facts). The objects carrying them are built and read by one thread,
so the lock buys nothing here (Python 3.12 dropped it for the same reason).
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar, overload

T = TypeVar("T")


class lazy_property(Generic[T]):  # noqa: N801 - named like the decorator it replaces
    """Computed on first read, then kept in the instance's __dict__ (a non-data descriptor:
    later reads never reach __get__). An exception stores nothing."""

    def __init__(self, func: Callable[[Any], T]) -> None:
        self.func = func
        self.name = func.__name__
        self.__doc__ = func.__doc__

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, instance: None, owner: type | None = None) -> lazy_property[T]: ...
    @overload
    def __get__(self, instance: object, owner: type | None = None) -> T: ...

    def __get__(self, instance, owner=None):
        if instance is None:
            return self
        value = instance.__dict__[self.name] = self.func(instance)
        return value
