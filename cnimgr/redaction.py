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
_KNOWN_SECRETS: set[str] = set()
_known_pattern: re.Pattern | None = None  # one alternation, rebuilt only when the set changes
_lock = threading.Lock()


def remember_secret(value: str | None) -> None:
    """Register a secret value seen by this process so it can be masked wherever it shows up later."""
    global _known_pattern
    if value and len(value) >= 8 and value not in _KNOWN_SECRETS:
        with _lock:
            _KNOWN_SECRETS.add(value)
            _known_pattern = None


def forget_secrets(values: Iterable[str]) -> None:
    global _known_pattern
    with _lock:
        for value in values:
            _KNOWN_SECRETS.discard(value)
        _known_pattern = None


def _known() -> re.Pattern | None:
    global _known_pattern
    with _lock:
        if _known_pattern is None and _KNOWN_SECRETS:
            # Longest first, so a secret that contains another is masked whole.
            ordered = sorted(_KNOWN_SECRETS, key=len, reverse=True)
            _known_pattern = re.compile("|".join(re.escape(s) for s in ordered))
        return _known_pattern


def redact_text(text: str) -> str:
    text = _PEM.sub(REDACTED, text)
    text = _BEARER.sub(lambda m: m.group(1) + REDACTED, text)
    pattern = _known()
    return pattern.sub(REDACTED, text) if pattern else text


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
