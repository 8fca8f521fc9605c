"""Per-cluster leases with fencing tokens, kept in the database (works across any number of workers)."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from operations.models import ClusterLease


def _expiry():
    return timezone.now() + timedelta(seconds=settings.CNIMGR_LEASE_SECONDS)


def acquire(cluster_id: int, run_id: int) -> tuple[int | None, int | None]:
    """Take the lease for ``run_id``. Returns (token, None) on success or (None, holder run id) when busy."""
    with transaction.atomic():
        lease, _ = ClusterLease.objects.select_for_update().get_or_create(cluster_id=cluster_id)
        now = timezone.now()
        if lease.run_id not in (None, run_id) and lease.expires_at and lease.expires_at > now:
            return None, lease.run_id
        lease.run_id = run_id
        lease.token = F("token") + 1
        lease.expires_at = _expiry()
        lease.save(update_fields=["run", "token", "expires_at"])
        lease.refresh_from_db(fields=["token"])
        return lease.token, None


def renew(cluster_id: int, run_id: int, token: int) -> bool:
    """Extend the lease; False means it was lost (expired and taken by someone else)."""
    return bool(
        ClusterLease.objects.filter(cluster_id=cluster_id, run_id=run_id, token=token).update(expires_at=_expiry())
    )


def release(cluster_id: int, run_id: int, token: int | None = None) -> None:
    query = Q(cluster_id=cluster_id, run_id=run_id)
    if token is not None:
        query &= Q(token=token)
    ClusterLease.objects.filter(query).update(run=None, expires_at=None)
