"""The stdlib compat32 `Message`, with its content type memoised per part.

Bounce dialects and the stdlib's own feed parser ask a part for `get_content_type()` ~40
times per message; each call re-reads the Content-Type header with a linear, lower-casing
header scan and re-splits its parameters. The answer only changes when a header or the
default type changes: an appended header changes the memo's key, every other mutator
drops the memo.
"""
from __future__ import annotations

import email.message

_MEMO = CONTENT_TYPE_MEMO = "_bouncepipe_ctype"  # (header count, content type); fastparse seeds it


class CachedMessage(email.message.Message):
    """`email.message.Message` whose `get_content_type()` is computed once per part."""

    def get_content_type(self) -> str:
        # Keyed on the header count: the parser's set_raw() only appends (not overridden
        # because it runs once per header line of every part), so an appended header is seen.
        memo = self.__dict__.get(_MEMO)
        count = len(self._headers)
        if memo is None or memo[0] != count:
            memo = self.__dict__[_MEMO] = (count, super().get_content_type())
        return memo[1]

    # Every other way a header or the default type can change drops the memo.
    def __setitem__(self, name, val):
        self.__dict__.pop(_MEMO, None)
        super().__setitem__(name, val)

    def __delitem__(self, name):
        self.__dict__.pop(_MEMO, None)
        super().__delitem__(name)

    def add_header(self, _name, _value, **_params):
        self.__dict__.pop(_MEMO, None)
        super().add_header(_name, _value, **_params)

    def replace_header(self, _name, _value):
        self.__dict__.pop(_MEMO, None)
        super().replace_header(_name, _value)

    def set_default_type(self, ctype):
        self.__dict__.pop(_MEMO, None)
        super().set_default_type(ctype)

    def set_param(self, *args, **kwargs):
        self.__dict__.pop(_MEMO, None)
        super().set_param(*args, **kwargs)

    def del_param(self, *args, **kwargs):
        self.__dict__.pop(_MEMO, None)
        super().del_param(*args, **kwargs)

    def set_type(self, *args, **kwargs):
        self.__dict__.pop(_MEMO, None)
        super().set_type(*args, **kwargs)
