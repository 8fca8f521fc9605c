"""One error format for the whole API:

    {"error": {"status": 400, "code": "invalid", "message": "...", "fields": {...}, "hint": "...", "request_id": "..."}}
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from cnimgr.redaction import redact
from cnimgr.request_context import current


class ServiceError(Exception):
    """A refusal from the service layer that the user can act on."""

    status_code = status.HTTP_400_BAD_REQUEST
    code = "invalid"

    def __init__(self, message: str, *, hint: str = "", fields: dict | None = None, code: str | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.fields = fields or {}
        if code:
            self.code = code


class Conflict(ServiceError):
    status_code = status.HTTP_409_CONFLICT
    code = "conflict"


def error_body(status_code: int, code: str, message: str, *, fields=None, hint: str = "") -> dict:
    body = {"status": status_code, "code": code, "message": message, "request_id": current().request_id}
    if fields:
        body["fields"] = redact(fields)
    if hint:
        body["hint"] = hint
    return {"error": body}


def _first_message(detail) -> str:
    if isinstance(detail, dict):
        for key, value in detail.items():
            inner = _first_message(value)
            return inner if key in ("non_field_errors", "detail") else f"{key}: {inner}"
    if isinstance(detail, list) and detail:
        return _first_message(detail[0])
    return str(detail)


def exception_handler(exc, context):
    if isinstance(exc, ServiceError):
        return Response(
            error_body(exc.status_code, exc.code, exc.message, fields=exc.fields, hint=exc.hint),
            status=exc.status_code,
        )
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(exc.message_dict if hasattr(exc, "error_dict") else exc.messages)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    detail = response.data
    if isinstance(exc, exceptions.ValidationError):
        fields = detail if isinstance(detail, dict) else {"non_field_errors": detail}
        body = error_body(response.status_code, "invalid", _first_message(detail), fields=fields)
    else:
        code = getattr(exc, "default_code", "error")
        message = detail.get("detail", str(detail)) if isinstance(detail, dict) else str(detail)
        body = error_body(response.status_code, code, str(message))
    response.data = body
    return response
