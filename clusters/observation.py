"""Keeping the fleet page true between runs: a periodic, read-only look at each cluster.

Observations are not changes, so they write no Run and no audit event; they only refresh the observed columns.
"""

from __future__ import annotations

import structlog
from django.utils import timezone

from clusters.models import Cluster
from cnimgr.redaction import redact_text

log = structlog.get_logger(__name__)


def observe_cluster(cluster: Cluster) -> dict:
    from lifecycle.kube import classify_error
    from lifecycle.operations import observe
    from operations.runner import connection_for

    taken_at = timezone.now()
    try:
        connection = connection_for(cluster)
    except ValueError as exc:
        return _record_failure(cluster, f"connection settings unusable: {exc}")
    try:
        observed = observe(connection)
    except Exception as exc:  # noqa: BLE001 - a cluster problem is recorded; anything else is logged as a bug
        try:
            problem = str(classify_error(exc, "observe the cluster"))
        except TypeError:
            log.exception("observation failed unexpectedly", cluster=cluster.name)
            problem = f"unexpected error: {type(exc).__name__}"
        return _record_failure(cluster, problem)
    finally:
        connection.close()
    from operations.services import _write_observed

    _write_observed(cluster.pk, {"observed": observed}, taken_at=taken_at)
    return observed


def _record_failure(cluster: Cluster, problem: str) -> dict:
    observed = {**(cluster.observed or {}), "last_error": redact_text(problem),
                "last_error_at": timezone.now().isoformat()}  # fmt: skip
    Cluster.objects.filter(pk=cluster.pk).update(reachable=False, observed=observed)
    return {"error": problem}
