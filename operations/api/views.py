from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import generics, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts.roles import OPERATOR, VIEWER
from clusters.filtersets import label_query
from clusters.models import Cluster
from cnimgr.api.errors import ServiceError
from cnimgr.api.pagination import SequenceCursorPagination
from operations import services
from operations.api.serializers import (
    BulkRunResultSerializer,
    BulkRunSerializer,
    RunDetailSerializer,
    RunEventSerializer,
    RunSerializer,
)
from operations.filtersets import RunEventFilterSet, RunFilterSet
from operations.models import Run, RunEvent


def accepted(run: Run, request) -> Response:
    """202 with the run and where to follow it (Pulp style)."""
    data = RunSerializer(run, context={"request": request}).data
    return Response(data, status=status.HTTP_202_ACCEPTED, headers={"Location": data["url"]})


class RunViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet):
    """Runs: one operation on one cluster. Creating one queues it and answers 202."""

    queryset = Run.objects.select_related("cluster")
    filterset_class = RunFilterSet
    ordering_fields = ["id", "created_at", "finished_at"]
    roles = {"cancel": OPERATOR, "retry": OPERATOR, "bulk": OPERATOR}

    def get_serializer_class(self):
        return RunDetailSerializer if self.action == "retrieve" else RunSerializer

    @extend_schema(responses={202: RunSerializer})
    def create(self, request, *args, **kwargs):
        serializer = RunSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        run = services.start_run(cluster=data["cluster"], kind=data["kind"], params=data.get("params") or {},
                                 actor=request.user)  # fmt: skip
        return accepted(run, request)

    @extend_schema(request=BulkRunSerializer, responses={202: BulkRunResultSerializer})
    @action(detail=False, methods=["post"], serializer_class=BulkRunSerializer, filterset_class=None)
    def bulk(self, request):
        """Start one run per cluster chosen by label selector and/or names; answers 202 with every run."""
        serializer = BulkRunSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        clusters = Cluster.objects.defer("token", "client_key")
        if data.get("label"):
            clusters = clusters.filter(label_query([data["label"]]))
        if data.get("clusters"):
            clusters = clusters.filter(name__in=data["clusters"])
            missing = sorted(set(data["clusters"]) - set(clusters.values_list("name", flat=True)))
            if missing:
                raise ServiceError(f"Unknown clusters: {', '.join(missing)}.", fields={"clusters": missing})
        runs, skipped = services.start_runs(clusters=clusters.order_by("name"), kind=data["kind"],
                                            params=data.get("params") or {}, actor=request.user)  # fmt: skip
        body = BulkRunResultSerializer({"runs": runs, "skipped": skipped}, context={"request": request}).data
        return Response(body, status=status.HTTP_202_ACCEPTED)

    @extend_schema(request=None, responses={202: RunSerializer})
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        """Cancel: a queued run stops at once, a running one at its next step."""
        run = services.cancel_run(self.get_object(), actor=request.user)
        return accepted(run, request)

    @extend_schema(request=None, responses={202: RunSerializer})
    @action(detail=True, methods=["post"])
    def retry(self, request, pk=None):
        """Queue a new run with the same kind and parameters."""
        run = services.retry_run(self.get_object(), actor=request.user)
        return accepted(run, request)


class RunEventList(generics.ListAPIView):
    """A run's output, in order. Poll with `?after=<last seq>` to get only new lines."""

    serializer_class = RunEventSerializer
    filterset_class = RunEventFilterSet
    pagination_class = SequenceCursorPagination
    ordering_fields = ["seq"]
    roles = {"read": VIEWER}

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return RunEvent.objects.none()
        run = get_object_or_404(Run, pk=self.kwargs["pk"])
        return run.events.all()
