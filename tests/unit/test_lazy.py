"""lazy_property: computed once per instance, kept in __dict__, nothing kept on error."""
from __future__ import annotations

import pytest

from pipeline.lazy import lazy_property


class Counted:
    def __init__(self, fail: bool = False) -> None:
        self.calls = 0
        self.fail = fail

    @lazy_property
    def value(self) -> int:
        """the doc"""
        self.calls += 1
        if self.fail:
            raise ValueError("boom")
        return self.calls * 10


def test_computed_once_per_instance_and_kept_in_the_instance_dict():
    a, b = Counted(), Counted()
    assert (a.value, a.value, a.calls) == (10, 10, 1)
    assert a.__dict__["value"] == 10
    assert (b.value, b.calls) == (10, 1)
    assert Counted.value.__doc__ == "the doc"


def test_an_exception_stores_nothing_and_the_next_read_tries_again():
    c = Counted(fail=True)
    with pytest.raises(ValueError):
        _ = c.value
    assert "value" not in c.__dict__
    c.fail = False
    assert (c.value, c.calls) == (20, 2)
