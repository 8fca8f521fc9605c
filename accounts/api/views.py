from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.response import Response

from accounts import services
from accounts.api.serializers import ApiTokenSerializer, IssuedApiTokenSerializer
from accounts.models import ApiToken
from accounts.roles import ADMIN, VIEWER, has_role


class ApiTokenViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):  # fmt: skip
    """Your API tokens. Admins see everyone's. Deleting a token revokes it (the record stays)."""

    queryset = ApiToken.objects.all()
    serializer_class = ApiTokenSerializer
    roles = {"read": VIEWER, "write": VIEWER}
    filterset_fields = ["name"]

    def get_queryset(self):
        tokens = ApiToken.objects.select_related("user")
        if has_role(self.request.user, ADMIN):
            return tokens
        return tokens.filter(user=self.request.user)

    @extend_schema(responses={201: IssuedApiTokenSerializer})
    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        token, plaintext = services.issue_token(
            user=request.user,
            name=serializer.validated_data["name"],
            expires_in_days=serializer.validated_data["expires_in_days"],
            actor=request.user,
        )
        token.token = plaintext
        return Response(IssuedApiTokenSerializer(token).data, status=status.HTTP_201_CREATED)

    def perform_destroy(self, instance):
        services.revoke_token(instance, actor=self.request.user)
