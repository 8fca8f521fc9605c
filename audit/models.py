from __future__ import annotations

import hashlib
import json

from django.db import models


class AppendOnlyError(Exception):
    pass


class AppendOnlyQuerySet(models.QuerySet):
    """Bulk changes are refused too; the database refuses them again by trigger (migration 0002)."""

    def update(self, **kwargs):
        raise AppendOnlyError("audit events cannot be changed")

    def delete(self):
        raise AppendOnlyError("audit events cannot be deleted")


class AuditEvent(models.Model):
    """One change or run state change. Append-only and hash-chained: each row's hash covers the previous one."""

    timestamp = models.DateTimeField(db_index=True)
    # Copied as text (not a foreign key) so the trail survives the user's deletion.
    actor_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    actor_username = models.CharField(max_length=150, blank=True, db_index=True)
    action = models.CharField(max_length=64, db_index=True)
    object_type = models.CharField(max_length=64, db_index=True)
    object_id = models.CharField(max_length=64, blank=True, db_index=True)
    object_name = models.CharField(max_length=255, blank=True)
    cluster = models.CharField(max_length=100, blank=True, db_index=True, help_text="Cluster name, when relevant")
    request_id = models.CharField(max_length=64, blank=True, db_index=True)
    source_ip = models.GenericIPAddressField(null=True, blank=True)
    via = models.CharField(max_length=16, blank=True)
    message = models.TextField(blank=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.timestamp:%Y-%m-%d %H:%M:%S} {self.actor_username or 'system'} {self.action} {self.object_name}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise AppendOnlyError("audit events cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("audit events cannot be deleted")

    def canonical(self) -> bytes:
        fields = {
            "timestamp": self.timestamp.isoformat(),
            "actor_id": self.actor_id,
            "actor_username": self.actor_username,
            "action": self.action,
            "object_type": self.object_type,
            "object_id": self.object_id,
            "object_name": self.object_name,
            "cluster": self.cluster,
            "request_id": self.request_id,
            "source_ip": self.source_ip,
            "via": self.via,
            "message": self.message,
            "before": self.before,
            "after": self.after,
            "prev_hash": self.prev_hash,
        }
        return json.dumps(fields, sort_keys=True, separators=(",", ":"), default=str).encode()

    def compute_hash(self) -> str:
        return hashlib.sha256(self.canonical()).hexdigest()


class AuditChainHead(models.Model):
    """A single row locked while appending, so concurrent writers extend the chain one at a time."""

    last_hash = models.CharField(max_length=64, default="0" * 64)
    count = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"audit chain head ({self.count} events)"
