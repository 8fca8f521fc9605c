"""Redaction of secrets from anything that leaves the process: logs, run events, audit records, errors."""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable
from typing import Any

REDACTED = "[redacted]"

SECRET_KEY_NAMES = re.compile(
    r"(token|password|passwd|secret|client[-_]?key|private[-_]?key|key[-_]?data|authorization|credential|"
    r"bearer|api[-_]?key|cookie)",
    re.IGNORECASE,
)
# Flags and descriptions about secrets are not secrets themselves.
NOT_SECRET_SUFFIXES = re.compile(r"(_set|_kind|_changed|_checked|_count)$")
_PEM = re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?-----END [A-Z ]*PRIVATE KEY-----", re.DOTALL)
_BEARER = re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]{8,}")
# Secrets this process has seen. New ones wait in a short list checked with `in` (cheap); every CHUNK_SIZE of them
# are compiled into one regex, so a new secret never triggers a recompile of everything known.
CHUNK_SIZE = 64
_known: set[str] = set()
_pending: list[str] = []
_patterns: list[re.Pattern] = []
_lock = threading.Lock()


def _alternation(values: Iterable[str]) -> re.Pattern:
    # Longest first, so a secret that contains another is masked whole.
    return re.compile("|".join(re.escape(v) for v in sorted(values, key=len, reverse=True)))


def remember_secret(value: str | None) -> None:
    """Register a secret value seen by this process so it can be masked wherever it shows up later."""
    if not value or len(value) < 8 or value in _known:
        return
    with _lock:
        if value in _known:
            return
        _known.add(value)
        _pending.append(value)
        if len(_pending) >= CHUNK_SIZE:
            _patterns.append(_alternation(_pending))
            _pending.clear()


def forget_secrets(values: Iterable[str]) -> None:
    with _lock:
        gone = set(values) & _known
        if not gone:
            return
        _known.difference_update(gone)
        _pending.clear()
        _patterns.clear()
        remaining = sorted(_known)
        for start in range(0, len(remaining) - len(remaining) % CHUNK_SIZE, CHUNK_SIZE):
            _patterns.append(_alternation(remaining[start : start + CHUNK_SIZE]))
        _pending.extend(remaining[len(remaining) - len(remaining) % CHUNK_SIZE :])


def redact_text(text: str) -> str:
    text = _PEM.sub(REDACTED, text)
    text = _BEARER.sub(lambda m: m.group(1) + REDACTED, text)
    with _lock:
        patterns, pending = list(_patterns), sorted(_pending, key=len, reverse=True)
    for pattern in patterns:
        text = pattern.sub(REDACTED, text)
    for secret in pending:
        if secret in text:
            text = text.replace(secret, REDACTED)
    return text


def redact(value: Any) -> Any:
    """Deep-copy a JSON-like value with secret-named keys masked and secret-looking strings scrubbed."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            secret_named = isinstance(key, str) and SECRET_KEY_NAMES.search(key) and not NOT_SECRET_SUFFIXES.search(key)
            if secret_named and item not in (None, "", False, True):
                out[key] = REDACTED
            else:
                out[key] = redact(item)
        return out
    if isinstance(value, list | tuple):
        return [redact(item) for item in value]
    if isinstance(value, str):
        return redact_text(value)
    return value


class RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact_text(record.msg)
        if record.args:
            record.args = tuple(redact(a) if isinstance(a, str | dict | list) else a for a in record.args)
        if isinstance(record.msg, dict):
            record.msg = redact(record.msg)
        return True
