from rest_framework import serializers

from clusters.models import Cluster
from operations.models import Run, RunEvent


class RunSerializer(serializers.HyperlinkedModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:run-detail")
    events_url = serializers.HyperlinkedIdentityField(view_name="api:run-events")
    cluster = serializers.SlugRelatedField(slug_field="name", queryset=Cluster.objects.all())
    percent = serializers.IntegerField(read_only=True)
    actor = serializers.CharField(source="actor_username", read_only=True)
    retry_of = serializers.PrimaryKeyRelatedField(read_only=True)

    class Meta:
        model = Run
        fields = [
            "id", "url", "events_url", "cluster", "cluster_name", "kind", "params", "mutating", "state", "actor",
            "created_at", "started_at", "finished_at", "heartbeat_at", "attempt", "cancel_requested",
            "progress_done", "progress_total", "progress_step", "percent", "summary", "error", "hint", "retry_of",
        ]  # fmt: skip
        read_only_fields = [f for f in fields if f not in ("cluster", "kind", "params")]


class RunDetailSerializer(RunSerializer):
    class Meta(RunSerializer.Meta):
        fields = [*RunSerializer.Meta.fields, "traceback"]
        read_only_fields = [*RunSerializer.Meta.read_only_fields, "traceback"]


class BulkRunSerializer(serializers.Serializer):
    kind = serializers.CharField()
    params = serializers.JSONField(required=False, default=dict)
    label = serializers.CharField(required=False, allow_blank=True, help_text="Label selector, e.g. env=prod,region=eu")
    clusters = serializers.ListField(child=serializers.CharField(), required=False, help_text="Cluster names")

    def validate(self, attrs):
        if not attrs.get("label") and not attrs.get("clusters"):
            raise serializers.ValidationError({"label": ["Give a label selector or a list of cluster names."]})
        return attrs


class SkippedClusterSerializer(serializers.Serializer):
    cluster = serializers.CharField()
    reason = serializers.CharField()


class BulkRunResultSerializer(serializers.Serializer):
    runs = RunSerializer(many=True)
    skipped = SkippedClusterSerializer(many=True)


class RunEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = RunEvent
        fields = ["seq", "created_at", "level", "step", "message", "data"]
        read_only_fields = fields
