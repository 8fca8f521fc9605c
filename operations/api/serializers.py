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


class RunEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = RunEvent
        fields = ["seq", "created_at", "level", "step", "message", "data"]
        read_only_fields = fields
