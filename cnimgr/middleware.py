from __future__ import annotations

import re

import structlog
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string

from cnimgr.request_context import bind, new_request_id

log = structlog.get_logger(__name__)
# A caller's X-Request-ID is kept only if it is a plain token: it goes into logs and audit records.
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
RETRY_AFTER_SECONDS = 5


def _client_ip(request) -> str | None:
    return request.META.get("REMOTE_ADDR")


class RequestContextMiddleware:
    """Gives every request an id (echoed as X-Request-ID) and binds it for logs and audit events; turns a lost
    database into a 503 that says so, in the API's error format, instead of a bare 500."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        offered = request.headers.get("X-Request-ID", "")
        request_id = offered if _REQUEST_ID.match(offered) else new_request_id()
        request.request_id = request_id
        via = "api" if request.path.startswith("/api/") else "web"
        with bind(request_id=request_id, source_ip=_client_ip(request), via=via):
            response = self.get_response(request)
        response["X-Request-ID"] = request_id
        return response

    def process_exception(self, request, exception):
        if not isinstance(exception, OperationalError | InterfaceError):
            return None
        from cnimgr.api.errors import error_body

        log.error("database unavailable", path=request.path, error=f"{type(exception).__name__}: {exception}")
        message = "The database is unavailable, so the request could not be completed."
        hint = f"Retry in {RETRY_AFTER_SECONDS} seconds; if it persists, check the database server."
        headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
        if request.path.startswith("/api/"):
            body = error_body(503, "database-unavailable", message, hint=hint)
            return JsonResponse(body, status=503, headers=headers)
        # Not the site layout: it would need the session and user, which live in the database.
        page = render_to_string("503.html", {"message": message, "hint": hint, "request_id": request.request_id})
        return HttpResponse(page, status=503, headers=headers)
