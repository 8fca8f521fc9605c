"""Thin Celery entry points for the registry."""

from __future__ import annotations

from celery import shared_task

from clusters.models import Cluster
from clusters.observation import observe_cluster


@shared_task(name="clusters.tasks.observe_fleet")
def observe_fleet() -> int:
    """Fan out one observation per enabled cluster."""
    ids = list(Cluster.objects.filter(enabled=True).values_list("pk", flat=True))
    for cluster_id in ids:
        observe_one.delay(cluster_id)
    return len(ids)


@shared_task(name="clusters.tasks.observe_one", acks_late=True, soft_time_limit=120)
def observe_one(cluster_id: int) -> None:
    cluster = Cluster.objects.filter(pk=cluster_id, enabled=True).first()
    if cluster is not None:
        observe_cluster(cluster)
