"""Every change to the cluster registry goes through here: validate, write, audit, in one transaction."""

from __future__ import annotations

import structlog
from django.conf import settings
from django.db import transaction

from audit.services import record
from clusters import kubeconfig
from clusters.models import Cluster, CredentialKind
from cnimgr.api.errors import Conflict, ServiceError
from cnimgr.redaction import remember_secret
from lifecycle.addresses import literal_host_problem

log = structlog.get_logger(__name__)
SECRET_FIELDS = ("token", "client_key")
CONNECTION_FIELDS = ("server", "ca_bundle", "credential_kind", "token", "client_certificate", "client_key", "enabled")
EDITABLE = ("display_name", "description", "server", "ca_bundle", "credential_kind", "token", "client_certificate",
            "client_key", "labels", "enabled")  # fmt: skip


def _validate(cluster: Cluster) -> None:
    if cluster.server and not cluster.server.startswith("https://"):
        raise ServiceError("The API server URL must start with https://.", fields={"server": ["must be https"]})
    problem = literal_host_problem(cluster.server, settings.CNIMGR_FORBIDDEN_NETWORKS)
    if problem:
        raise ServiceError(f"The API server URL is refused: {problem}.", fields={"server": [problem]},
                           hint="Use the API server's own address; see CNIMGR_FORBIDDEN_NETWORKS.")  # fmt: skip
    if cluster.ca_bundle:
        try:
            kubeconfig._check_certificate(cluster.ca_bundle, "ca_bundle")
        except ValueError as exc:
            raise ServiceError(str(exc), fields={"ca_bundle": [str(exc)]}) from None
    if cluster.credential_kind == CredentialKind.TOKEN:
        if not cluster.token:
            raise ServiceError(
                "A bearer token is required for credential kind 'token'.", fields={"token": ["required"]}
            )
        cluster.client_certificate = cluster.client_key = ""
    elif cluster.credential_kind == CredentialKind.CLIENT_CERTIFICATE:
        if not (cluster.client_certificate and cluster.client_key):
            raise ServiceError(
                "A client certificate and key are required for credential kind 'client-certificate'.",
                fields={"client_certificate": ["required"], "client_key": ["required"]},
            )
        try:
            kubeconfig._check_certificate(cluster.client_certificate, "client_certificate")
            kubeconfig._check_private_key(cluster.client_key)
        except ValueError as exc:
            raise ServiceError(str(exc), fields={"client_key": [str(exc)]}) from None
        cluster.token = ""
    for name in SECRET_FIELDS:
        remember_secret(getattr(cluster, name))


RESERVED_NAMES = {"new", "import", "register"}  # dashboard paths under /clusters/


@transaction.atomic
def create_cluster(*, actor, name: str, **fields) -> Cluster:
    if name in RESERVED_NAMES:
        raise ServiceError(f"'{name}' is reserved; choose another cluster name.", fields={"name": ["reserved"]})
    if Cluster.objects.filter(name=name).exists():
        raise Conflict(f"A cluster named '{name}' exists already.", fields={"name": ["already registered"]})
    cluster = Cluster(name=name, **{k: v for k, v in fields.items() if k in EDITABLE})
    _validate(cluster)
    cluster.full_clean()
    cluster.save()
    record("cluster.create", cluster, actor=actor, cluster=cluster.name, after=cluster.snapshot())
    observe_soon(cluster)
    return cluster


@transaction.atomic
def update_cluster(cluster: Cluster, *, actor, **fields) -> Cluster:
    cluster = Cluster.objects.select_for_update().get(pk=cluster.pk)
    before = cluster.snapshot()
    for key, value in fields.items():
        if key not in EDITABLE:
            continue
        if key in SECRET_FIELDS and not value:
            continue  # write-only: leaving a secret blank keeps the stored one
        setattr(cluster, key, value)
    _validate(cluster)
    cluster.full_clean()
    cluster.save()
    after = cluster.snapshot()
    if any(k in fields and fields[k] for k in SECRET_FIELDS):
        after["credentials_changed"] = True
    record("cluster.update", cluster, actor=actor, cluster=cluster.name, before=before, after=after)
    if any(k in fields and fields[k] not in ("", None) for k in CONNECTION_FIELDS):
        observe_soon(cluster)
    return cluster


def observe_soon(cluster: Cluster) -> None:
    """Look at a newly registered (or re-pointed) cluster once the change commits, so the fleet page fills in
    within seconds rather than at the next periodic observation. Read-only; a broker outage only delays it."""
    if not (settings.CNIMGR_OBSERVE_ON_CHANGE and cluster.enabled):
        return
    cluster_id = cluster.pk

    def send():
        from clusters.tasks import observe_one

        try:
            observe_one.apply_async((cluster_id,), retry=True, retry_policy={"max_retries": 1, "interval_start": 0})
        except Exception as exc:  # noqa: BLE001 - the periodic observation catches up
            log.warning("observation not sent", cluster=cluster_id, error=f"{type(exc).__name__}: {exc}")

    transaction.on_commit(send)


@transaction.atomic
def delete_cluster(cluster: Cluster, *, actor) -> None:
    from operations.models import Run, RunState

    if Run.objects.filter(cluster=cluster, state__in=RunState.ACTIVE).exists():
        raise Conflict(
            f"Cluster '{cluster.name}' has queued or running runs.", hint="Cancel them or wait, then delete again."
        )
    before = cluster.snapshot()
    record("cluster.delete", cluster, actor=actor, cluster=cluster.name, before=before)
    cluster.delete()


def import_kubeconfig(
    *, actor, text: str | bytes, context: str = "", import_all: bool = False, labels: dict | None = None,
    name_prefix: str = "",
) -> dict:  # fmt: skip
    """Register the usable contexts of a kubeconfig. Returns what was imported and what was refused, and why."""
    try:
        candidates = kubeconfig.parse(text)
    except kubeconfig.KubeconfigError as exc:
        raise ServiceError(str(exc), fields={"kubeconfig": [str(exc)]}) from None
    if context:
        candidates = [c for c in candidates if c.context == context]
        if not candidates:
            raise ServiceError(f"The kubeconfig has no context named {context!r}.", fields={"context": ["not found"]})
    elif not import_all and len(candidates) > 1:
        names = ", ".join(c.context for c in candidates)
        raise ServiceError(
            f"The kubeconfig has {len(candidates)} contexts ({names}); pick one with `context` or set `all`.",
            fields={"context": ["required when the file has several contexts"]},
        )
    imported, refused = [], []
    for candidate in candidates:
        name = kubeconfig.slug(name_prefix + candidate.name)
        if not candidate.usable:
            refused.append({"context": candidate.context, "reason": candidate.problem, "hint": candidate.hint})
            continue
        if Cluster.objects.filter(name=name).exists():
            refused.append({"context": candidate.context, "reason": f"a cluster named '{name}' exists already",
                            "hint": "Use name_prefix, or delete or rename the existing cluster."})  # fmt: skip
            continue
        try:
            cluster = create_cluster(
                actor=actor, name=name, display_name=candidate.context, server=candidate.server,
                ca_bundle=candidate.ca_pem, credential_kind=candidate.credential_kind, token=candidate.token,
                client_certificate=candidate.client_certificate, client_key=candidate.client_key,
                labels=labels or {},
            )  # fmt: skip
        except ServiceError as exc:  # one refused context does not stop the others
            refused.append({"context": candidate.context, "reason": exc.message.rstrip("."), "hint": exc.hint})
            continue
        imported.append(cluster)
    if context and refused and not imported:
        item = refused[0]
        raise ServiceError(f"Context {item['context']!r} cannot be imported: {item['reason']}.", hint=item["hint"],
                           fields={"context": [item["reason"]]})  # fmt: skip
    return {"imported": imported, "refused": refused}
