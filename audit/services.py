"""The only way to write the audit trail. Call inside the transaction that makes the change."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from audit.models import AuditChainHead, AuditEvent
from cnimgr.redaction import redact
from cnimgr.request_context import current

GENESIS = "0" * 64


def record(
    action: str,
    obj: Any = None,
    *,
    actor=None,
    object_type: str = "",
    object_id: str = "",
    object_name: str = "",
    cluster: str = "",
    before: dict | None = None,
    after: dict | None = None,
    message: str = "",
) -> AuditEvent:
    if obj is not None:
        object_type = object_type or obj._meta.model_name
        object_id = object_id or str(obj.pk)
        object_name = object_name or str(obj)
    ctx = current()
    if actor is not None and getattr(actor, "is_authenticated", False):
        actor_id, actor_username = actor.pk, actor.get_username()
    else:
        actor_id, actor_username = ctx.user_id, ctx.username
    with transaction.atomic():
        head, _ = AuditChainHead.objects.select_for_update().get_or_create(pk=1)
        event = AuditEvent(
            timestamp=timezone.now(),
            actor_id=actor_id,
            actor_username=actor_username,
            action=action,
            object_type=object_type,
            object_id=str(object_id),
            object_name=object_name[:255],
            cluster=cluster,
            request_id=ctx.request_id,
            source_ip=ctx.source_ip,
            via=ctx.via or "system",
            message=redact(message),
            before=redact(before),
            after=redact(after),
            prev_hash=head.last_hash,
        )
        event.hash = event.compute_hash()
        event.save()
        head.last_hash, head.count = event.hash, head.count + 1
        head.save(update_fields=["last_hash", "count"])
    return event


def verify_chain(batch_size: int = 2000) -> tuple[bool, int, str]:
    """Walk the chain from the start. Returns (intact, events checked, problem description)."""
    expected_prev = GENESIS
    checked = 0
    for event in AuditEvent.objects.order_by("id").iterator(chunk_size=batch_size):
        if event.prev_hash != expected_prev:
            return False, checked, f"event {event.pk}: previous-hash link broken (an event was removed or reordered)"
        if event.compute_hash() != event.hash:
            return False, checked, f"event {event.pk}: content does not match its hash (the event was altered)"
        expected_prev = event.hash
        checked += 1
    head = AuditChainHead.objects.filter(pk=1).first()
    if head and (head.last_hash != expected_prev or head.count != checked):
        return False, checked, "the newest events were removed (chain head does not match the last event)"
    return True, checked, ""
