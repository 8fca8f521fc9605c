import csv
import json

from django.http import StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from audit.api.serializers import EXPORT_FIELDS, AuditEventSerializer
from audit.filtersets import AuditEventFilterSet
from audit.models import AuditEvent
from audit.services import verify_chain
from cnimgr.api.pagination import NewestFirstCursorPagination


class _Echo:
    def write(self, value):
        return value


class AuditEventViewSet(viewsets.ReadOnlyModelViewSet):
    """The audit trail: append-only, read-only here."""

    queryset = AuditEvent.objects.all()
    serializer_class = AuditEventSerializer
    filterset_class = AuditEventFilterSet
    pagination_class = NewestFirstCursorPagination
    ordering_fields = ["id", "timestamp"]
    roles = {"verify": "viewer", "export": "viewer"}

    @extend_schema(
        parameters=[OpenApiParameter("type", OpenApiTypes.STR, enum=["csv", "json"], description="Export format")],
        responses={(200, "text/csv"): OpenApiTypes.STR, (200, "application/json"): AuditEventSerializer(many=True)},
    )
    @action(detail=False, methods=["get"], pagination_class=None)
    def export(self, request):
        """Every event matching the filters, oldest first, as CSV or JSON (streamed)."""
        kind = request.query_params.get("type", "csv")
        events = self.filter_queryset(self.get_queryset()).order_by("id")
        rows = (AuditEventSerializer(e).data for e in events.iterator(chunk_size=1000))
        if kind == "json":

            def json_stream():
                yield "["
                for index, row in enumerate(rows):
                    yield ("," if index else "") + json.dumps(row, default=str)
                yield "]"

            response = StreamingHttpResponse(json_stream(), content_type="application/json")
            response["Content-Disposition"] = 'attachment; filename="cnimgr-audit.json"'
            return response
        writer = csv.writer(_Echo())

        def csv_stream():
            yield writer.writerow(EXPORT_FIELDS)
            for row in rows:
                yield writer.writerow(
                    [json.dumps(row[f]) if isinstance(row[f], dict | list) else row[f] for f in EXPORT_FIELDS]
                )

        response = StreamingHttpResponse(csv_stream(), content_type="text/csv")
        response["Content-Disposition"] = 'attachment; filename="cnimgr-audit.csv"'
        return response

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    @action(detail=False, methods=["get"], pagination_class=None, filterset_class=None)
    def verify(self, request):
        """Walk the hash chain and say whether the trail is intact."""
        intact, checked, problem = verify_chain()
        return Response({"intact": intact, "checked": checked, "problem": problem})
