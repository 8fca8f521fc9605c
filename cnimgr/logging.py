"""Structured logging: structlog renders every record (ours and libraries') with the request id attached."""

from __future__ import annotations

import structlog

from cnimgr.request_context import current


def _add_request_context(_logger, _method, event_dict):
    ctx = current()
    if ctx.request_id:
        event_dict.setdefault("request_id", ctx.request_id)
    if ctx.username:
        event_dict.setdefault("actor", ctx.username)
    return event_dict


PRE_CHAIN = [
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
    _add_request_context,
]


def structured_formatter(json: bool = False) -> structlog.stdlib.ProcessorFormatter:
    renderer = structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer(colors=False)
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=PRE_CHAIN,
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
    )


structlog.configure(
    processors=[*PRE_CHAIN, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
    logger_factory=structlog.stdlib.LoggerFactory(),
    wrapper_class=structlog.stdlib.BoundLogger,
    cache_logger_on_first_use=True,
)
