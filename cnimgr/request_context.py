"""Who is acting, from where and in which request: carried in a contextvar so services can audit it."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass, replace


@dataclass(frozen=True)
class RequestContext:
    request_id: str = ""
    user_id: int | None = None
    username: str = ""
    source_ip: str | None = None
    via: str = ""  # api | web | worker | system


_current: ContextVar[RequestContext] = ContextVar("cnimgr_request_context", default=RequestContext())  # noqa: B039 - frozen


def current() -> RequestContext:
    return _current.get()


def new_request_id() -> str:
    return uuid.uuid4().hex


@contextlib.contextmanager
def bind(**fields) -> Iterator[RequestContext]:
    token = _current.set(replace(_current.get(), **fields))
    try:
        yield _current.get()
    finally:
        _current.reset(token)
