"""A lost database is a 503 that says so (in the API's error format), never a bare 500; request ids stay clean."""

import pytest
from django.db import OperationalError
from django.test import RequestFactory

from cnimgr.middleware import RequestContextMiddleware

pytestmark = pytest.mark.django_db


@pytest.fixture
def database_down(monkeypatch):
    from clusters.api.views import ClusterViewSet

    def refuse(self, *args, **kwargs):
        raise OperationalError("connection to server at 127.0.0.1 port 5432 failed: Connection refused")

    monkeypatch.setattr(ClusterViewSet, "list", refuse)


def test_api_answers_503_in_the_error_format_with_retry_after(client_as, database_down):
    response = client_as("viewer").get("/api/v1/clusters/")
    assert response.status_code == 503 and response["Retry-After"] == "5"
    error = response.json()["error"]
    assert error["code"] == "database-unavailable" and "database is unavailable" in error["message"]
    assert error["hint"] and error["request_id"] == response["X-Request-ID"]
    assert "5432" not in response.content.decode()  # the driver's text stays in the log


def test_pages_get_a_standalone_503_page():
    middleware = RequestContextMiddleware(lambda request: None)
    request = RequestFactory().get("/clusters/")
    request.request_id = "r-1"
    response = middleware.process_exception(request, OperationalError("server closed the connection"))
    assert response.status_code == 503 and b"cnimgr is unavailable" in response.content and b"r-1" in response.content
    assert middleware.process_exception(request, ValueError("a bug")) is None  # bugs stay 500s with a traceback


@pytest.mark.parametrize(("offered", "kept"), [("ci-build-42.7", True), ("a b", False), ("x" * 65, False),
                                               ("id\u00e9", False), ("", False)])  # fmt: skip
def test_callers_request_id_is_kept_only_when_it_is_a_plain_token(client_as, offered, kept):
    response = client_as("viewer").get("/api/v1/clusters/", HTTP_X_REQUEST_ID=offered)
    assert response.status_code == 200
    assert (response["X-Request-ID"] == offered) is kept and len(response["X-Request-ID"]) <= 64
