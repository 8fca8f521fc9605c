from drf_spectacular.utils import extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from accounts.roles import ADMIN, OPERATOR
from clusters import services
from clusters.api.serializers import (
    ClusterSerializer,
    ClusterUpdateSerializer,
    KubeconfigImportResultSerializer,
    KubeconfigImportSerializer,
)
from clusters.filtersets import ClusterFilterSet
from clusters.models import Cluster


class ClusterViewSet(viewsets.ModelViewSet):
    """The cluster registry. Credentials are write-only: responses say only whether they are set."""

    queryset = Cluster.objects.all()
    lookup_field = "name"
    filterset_class = ClusterFilterSet
    ordering_fields = ["name", "created_at", "kubernetes_version", "cni_version"]
    roles = {"destroy": ADMIN, "import_kubeconfig": OPERATOR}
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def get_serializer_class(self):
        if self.action in ("update", "partial_update"):
            return ClusterUpdateSerializer
        if self.action == "import_kubeconfig":
            return KubeconfigImportSerializer
        return ClusterSerializer

    def perform_create(self, serializer):
        serializer.instance = services.create_cluster(actor=self.request.user, **serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = services.update_cluster(
            serializer.instance, actor=self.request.user, **serializer.validated_data
        )

    def perform_destroy(self, instance):
        services.delete_cluster(instance, actor=self.request.user)

    @extend_schema(request=KubeconfigImportSerializer, responses={201: KubeconfigImportResultSerializer})
    @action(detail=False, methods=["post"], url_path="import-kubeconfig")
    def import_kubeconfig(self, request):
        """Register clusters from a kubeconfig: one context, or all usable ones. Refused contexts say why."""
        serializer = KubeconfigImportSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        text = data["file"].read() if data.get("file") else data["kubeconfig"]
        result = services.import_kubeconfig(
            actor=request.user, text=text, context=data.get("context", ""), import_all=data["all"],
            labels=data.get("labels") or {}, name_prefix=data.get("name_prefix", ""),
        )  # fmt: skip
        body = KubeconfigImportResultSerializer(result, context={"request": request}).data
        return Response(body, status=status.HTTP_201_CREATED if result["imported"] else status.HTTP_200_OK)
