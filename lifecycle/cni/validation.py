"""Small validators for chart values. Each raises InvalidParams naming the field it was given."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from lifecycle.errors import InvalidParams

DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
DNS1123_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
LABEL_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
# [registry[:port]/]path, without tag or digest: a ":" may only appear as the registry's port.
IMAGE_NAME = re.compile(r"^([a-z0-9.-]+:[0-9]+/)?[a-z0-9]+([._-][a-z0-9]+)*(/[a-z0-9]+([._-][a-z0-9]+)*)*$")
IMAGE_TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")
SAFE_PATH = re.compile(r"^(/[A-Za-z0-9._+@-]+)+/?$")  # goes into JSON, hostPath and mountPath verbatim
QUANTITY = re.compile(r"^([+-]?[0-9.]+)([eE][+-]?[0-9]+|m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$")
_SUFFIX = {"": 1, "m": Decimal("0.001"), "k": 10**3, "M": 10**6, "G": 10**9, "T": 10**12, "P": 10**15,
           "E": 10**18, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}


def as_bool(field: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise InvalidParams(field, f"must be true or false, not {value!r}")


def as_int(field: str, value: Any, *, minimum: int | None = None, maximum: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise InvalidParams(field, f"must be an integer, not {value!r}")
    try:
        number = int(value)
    except ValueError:
        raise InvalidParams(field, f"must be an integer, not {value!r}") from None
    if minimum is not None and number < minimum:
        raise InvalidParams(field, f"must be at least {minimum}, not {number}")
    if maximum is not None and number > maximum:
        raise InvalidParams(field, f"must be at most {maximum}, not {number}")
    return number


def as_port(field: str, value: Any) -> int:
    return as_int(field, value, minimum=1, maximum=65535)


def as_choice(field: str, value: Any, choices: tuple[str, ...]) -> str:
    if value not in choices:
        raise InvalidParams(field, f"must be one of {', '.join(choices)}, not {value!r}")
    return str(value)


def as_str(field: str, value: Any, pattern: re.Pattern[str] | None = None, what: str = "") -> str:
    if not isinstance(value, str):
        raise InvalidParams(field, f"must be a string, not {value!r}")
    if pattern is not None and not pattern.match(value):
        raise InvalidParams(field, f"{value!r} is not {what or 'valid'}")
    return value


def _items(field: str, value: Any) -> list[str]:
    if value is None or value == "":
        return []
    if isinstance(value, int) and not isinstance(value, bool):
        return [str(value)]
    if isinstance(value, str):
        return [item.strip() for item in value.split(",")]
    if isinstance(value, list | tuple):
        return [str(item).strip() for item in value]
    raise InvalidParams(field, f"must be a comma-separated string or a list, not {value!r}")


def as_port_ranges(field: str, value: Any) -> str:
    """Ports or ranges ("25,587,4000-4100"), normalised to the chart's comma-separated string."""
    out = []
    for item in _items(field, value):
        low, sep, high = item.partition("-")
        first = as_port(field, low) if low.isdigit() else _bad_port(field, item)
        last = (as_port(field, high) if high.isdigit() else _bad_port(field, item)) if sep else first
        if last < first:
            raise InvalidParams(field, f"range {item!r} ends before it starts")
        out.append(f"{first}-{last}" if sep else str(first))
    return ",".join(out)


def as_port_list(field: str, value: Any) -> str:
    """Single ports only (portsToRedirect is a list of uints upstream)."""
    return ",".join(str(as_port(field, item) if item.isdigit() else _bad_port(field, item))
                    for item in _items(field, value))


def _bad_port(field: str, item: str) -> int:
    raise InvalidParams(field, f"{item!r} is not a port number between 1 and 65535")


def as_labels(field: str, value: Any) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InvalidParams(field, "must be a mapping of label names to values")
    out: dict[str, str] = {}
    for key, val in value.items():
        name = str(key).rsplit("/", 1)[-1]
        prefix = str(key)[: -len(name) - 1] if "/" in str(key) else ""
        if not LABEL_NAME.match(name) or len(name) > 63 or (prefix and not DNS1123_SUBDOMAIN.match(prefix)):
            raise InvalidParams(f"{field}.{key}", "is not a valid label name")
        if not isinstance(val, str | int | bool) or not LABEL_VALUE.match(str(val)) or len(str(val)) > 63:
            raise InvalidParams(f"{field}.{key}", f"{val!r} is not a valid label value")
        out[str(key)] = str(val).lower() if isinstance(val, bool) else str(val)
    return out


def parse_quantity(field: str, value: Any) -> Decimal:
    match = QUANTITY.match(str(value))
    if not match:
        raise InvalidParams(field, f"{value!r} is not a Kubernetes quantity (e.g. 100m, 64Mi)")
    try:
        number = Decimal(match[1])
    except InvalidOperation:
        raise InvalidParams(field, f"{value!r} is not a Kubernetes quantity") from None
    suffix = match[2] or ""
    if suffix[:1] in ("e", "E") and suffix not in _SUFFIX:
        return number * (Decimal(10) ** int(suffix[1:]))
    return number * _SUFFIX[suffix]


def as_resources(field: str, value: Any) -> dict[str, dict[str, str]]:
    """The chart's ``{cpu,memory,ephemeral-storage}.{limit,request}`` layout; empty strings mean unset."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InvalidParams(field, "must be a mapping")
    out: dict[str, dict[str, str]] = {}
    for resource, spec in value.items():
        where = f"{field}.{resource}"
        if resource not in ("cpu", "memory", "ephemeral-storage"):
            raise InvalidParams(where, "unknown resource; use cpu, memory or ephemeral-storage")
        if not isinstance(spec, dict) or set(spec) - {"limit", "request"}:
            raise InvalidParams(where, "must be a mapping with keys limit and/or request")
        kept = {k: str(v) for k, v in spec.items() if v not in (None, "")}
        for key, quantity in kept.items():
            parse_quantity(f"{where}.{key}", quantity)
        if "limit" in kept and "request" in kept and (
            parse_quantity(where, kept["limit"]) < parse_quantity(where, kept["request"])
        ):
            raise InvalidParams(f"{where}.limit", "must not be less than the request")
        if kept:
            out[resource] = kept
    return out


LOG_FILTER = re.compile(r"^[A-Za-z0-9_=,:.-]+$")  # tracing filter, e.g. "info" or "linkerd=debug,warn"
