from django.urls import include, path
from rest_framework.routers import DefaultRouter

from accounts.api.views import ApiTokenViewSet
from audit.api.views import AuditEventViewSet
from clusters.api.views import ClusterViewSet
from operations.api.views import RunEventList, RunViewSet

router = DefaultRouter()
router.register("clusters", ClusterViewSet, basename="cluster")
router.register("runs", RunViewSet, basename="run")
router.register("audit-events", AuditEventViewSet, basename="auditevent")
router.register("auth/tokens", ApiTokenViewSet, basename="apitoken")

api_urlpatterns = [
    path("runs/<int:pk>/events/", RunEventList.as_view(), name="run-events"),
    path("", include(router.urls)),
]
