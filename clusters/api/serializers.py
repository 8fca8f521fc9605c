from rest_framework import serializers

from clusters.models import Cluster, CredentialKind

LABEL_VALUE_MAX = 63


class LabelsField(serializers.DictField):
    child = serializers.CharField(max_length=LABEL_VALUE_MAX, allow_blank=True)

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        for key in value:
            if not key or len(key) > 253 or any(c in key for c in " ,=!"):
                raise serializers.ValidationError(f"invalid label key {key!r}")
        return value


class ClusterSerializer(serializers.HyperlinkedModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:cluster-detail", lookup_field="name")
    token = serializers.CharField(write_only=True, required=False, allow_blank=True, style={"input_type": "password"},
                                  help_text="Write-only. Leave empty on update to keep the stored token.")
    client_key = serializers.CharField(write_only=True, required=False, allow_blank=True,
                                       style={"input_type": "password"}, help_text="Write-only PEM private key.")
    client_certificate = serializers.CharField(write_only=True, required=False, allow_blank=True)
    credentials_set = serializers.BooleanField(read_only=True)
    labels = LabelsField(required=False)
    credential_kind = serializers.ChoiceField(choices=CredentialKind.choices)

    class Meta:
        model = Cluster
        fields = [
            "id", "url", "name", "display_name", "description", "server", "ca_bundle", "credential_kind", "token",
            "client_certificate", "client_key", "credentials_set", "labels", "enabled", "kubernetes_version",
            "cni_version", "cni_installed_by", "control_plane_version", "cni_enabled", "reachable",
            "missing_permissions", "observed", "observed_at", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = ["kubernetes_version", "cni_version", "cni_installed_by", "control_plane_version",
                            "cni_enabled", "reachable", "missing_permissions", "observed", "observed_at"]  # fmt: skip
        extra_kwargs = {"name": {"validators": []}}  # uniqueness is checked (with a clear 409) in the service


class ClusterUpdateSerializer(ClusterSerializer):
    credential_kind = serializers.ChoiceField(choices=CredentialKind.choices, required=False)

    class Meta(ClusterSerializer.Meta):
        read_only_fields = [*ClusterSerializer.Meta.read_only_fields, "name"]
        extra_kwargs = {"server": {"required": False}}


class KubeconfigImportSerializer(serializers.Serializer):
    kubeconfig = serializers.CharField(required=False, help_text="The kubeconfig as text")
    file = serializers.FileField(required=False, help_text="Or the kubeconfig as an uploaded file")
    context = serializers.CharField(required=False, allow_blank=True, help_text="Import only this context")
    all = serializers.BooleanField(default=False, help_text="Import every usable context")
    labels = LabelsField(required=False, help_text="Labels for every imported cluster")
    name_prefix = serializers.CharField(required=False, allow_blank=True, max_length=40)

    def validate(self, attrs):
        if not attrs.get("kubeconfig") and not attrs.get("file"):
            raise serializers.ValidationError({"kubeconfig": ["Send the kubeconfig as text or as a file."]})
        return attrs


class RefusedContextSerializer(serializers.Serializer):
    context = serializers.CharField()
    reason = serializers.CharField()
    hint = serializers.CharField()


class KubeconfigImportResultSerializer(serializers.Serializer):
    imported = ClusterSerializer(many=True)
    refused = RefusedContextSerializer(many=True)
