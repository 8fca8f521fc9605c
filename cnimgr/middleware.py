from __future__ import annotations

from cnimgr.request_context import bind, new_request_id


def _client_ip(request) -> str | None:
    return request.META.get("REMOTE_ADDR")


class RequestContextMiddleware:
    """Gives every request an id (echoed as X-Request-ID) and binds it for logs and audit events."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = request.headers.get("X-Request-ID", "")[:64] or new_request_id()
        request.request_id = request_id
        via = "api" if request.path.startswith("/api/") else "web"
        with bind(request_id=request_id, source_ip=_client_ip(request), via=via):
            response = self.get_response(request)
        response["X-Request-ID"] = request_id
        return response
