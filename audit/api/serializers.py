from rest_framework import serializers

from audit.models import AuditEvent

EXPORT_FIELDS = [
    "id", "timestamp", "actor_id", "actor_username", "action", "object_type", "object_id", "object_name",
    "cluster", "request_id", "source_ip", "via", "message", "before", "after", "prev_hash", "hash",
]  # fmt: skip


class AuditEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = AuditEvent
        fields = EXPORT_FIELDS
        read_only_fields = fields
