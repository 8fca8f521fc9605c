"""Fleet views with 400 registered clusters vs 10: the dashboard (`/`, as a logged-in viewer) and
`GET /api/v1/clusters/` (default page of 50, and `?page_size=500` for all of them).

Target: the number of SQL queries per request does not grow with the number of clusters (no N+1). Response time
ratios are reported (the dashboard shows up to 200 rows per page, so it is expected to grow with the rows shown).
"""

from __future__ import annotations

import random
import statistics
from collections import Counter

from benchmarks.common import Report, fmt_seconds, interleaved, main_for, ratio, time_calls

SMALL, LARGE = 10, 400
RUNS_PER_CLUSTER = 3
ENDPOINTS = {"dashboard": "/", "api_default_page": "/api/v1/clusters/", "api_all": "/api/v1/clusters/?page_size=500"}


def _add_clusters(start: int, count: int, ca_pem: str) -> None:
    """Fixture rows written in bulk (the encrypted fields still encrypt on the way in)."""
    from django.utils import timezone

    from clusters.models import Cluster
    from operations.models import Run

    rnd = random.Random(start)
    cni_versions = ["v1.6.8", "v1.6.8", "v1.5.3", "v1.7.0-alpha.1", ""]
    cp_versions = ["edge-26.8.3", "edge-26.8.3", "edge-25.4.4", ""]
    clusters = []
    for i in range(start, start + count):
        observed = rnd.random() < 0.85
        clusters.append(Cluster(
            name=f"cluster-{i:04d}", display_name=f"Cluster {i}", server=f"https://10.{i // 250}.{i % 250}.1:6443",
            ca_bundle=ca_pem, credential_kind="token", token=f"eyJhbGciOiJSUzI1NiJ9.bench-token-{i:06d}" + "x" * 600,
            labels={"env": rnd.choice(["prod", "staging", "dev"]), "region": rnd.choice(["eu-west", "us-east"]),
                    "team": f"team-{i % 7}"},
            kubernetes_version="v1.31.4" if observed else "", reachable=rnd.choice([True, True, True, False])
            if observed else None, cni_version=rnd.choice(cni_versions) if observed else "",
            cni_installed_by="cnimgr" if observed else "", control_plane_version=rnd.choice(cp_versions)
            if observed else "", cni_enabled=True if observed else None, observed_at=timezone.now()
            if observed else None, observed={"kubernetes": {"version": "v1.31.4"}} if observed else {},
            missing_permissions=["delete pods"] if rnd.random() < 0.05 else [],
        ))  # fmt: skip
    created = Cluster.objects.bulk_create(clusters)
    if not all(c.pk for c in created):  # backends without RETURNING on bulk insert
        created = list(Cluster.objects.filter(name__in=[c.name for c in clusters]))
    Run.objects.bulk_create(
        Run(cluster=c, cluster_name=c.name, kind=kind, state=state)
        for c in created
        for kind, state in zip(["connectivity", "check", "install-cni"][:RUNS_PER_CLUSTER],
                               ["succeeded", "failed", "succeeded"], strict=True)
    )  # fmt: skip


def _getter(client, url: str):
    return lambda _i: client.get(url)


def _queries(client, url: str) -> tuple[int, Counter[str], list[str]]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as q:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    sql = [x["sql"] for x in q.captured_queries]
    tables = Counter(s.split(" FROM ", 1)[1].split()[0].strip('"') for s in sql if " FROM " in s)
    return len(sql), tables, sql


def run(quick: bool) -> Report:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.test import Client

    from benchmarks.kubeconfig_import import self_signed_pem
    from clusters.models import Cluster
    from frontend.views.fleet import with_last_run

    report = Report("fleet_page", quick)
    rounds, per_round = (3, 2) if quick else (5, 4)
    report.parameters = {"small": SMALL, "large": LARGE, "runs_per_cluster": RUNS_PER_CLUSTER,
                         "requests_per_endpoint_and_size": rounds * per_round, "endpoints": ENDPOINTS}  # fmt: skip
    viewer = get_user_model().objects.create_user("viewer", password="x" * 16)
    viewer.groups.add(Group.objects.get(name="viewer"))
    client = Client()
    client.force_login(viewer)
    ca_pem, _ = self_signed_pem("bench-ca")

    results: dict[int, dict[str, dict]] = {}
    for size in (SMALL, LARGE):
        _add_clusters(Cluster.objects.count(), size - Cluster.objects.count(), ca_pem)
        assert Cluster.objects.count() == size
        subjects = {name: _getter(client, url) for name, url in ENDPOINTS.items()}
        for fn in subjects.values():
            time_calls(fn, 2)  # warm-up: templates, URL resolver, statement cache
        samples = interleaved(subjects, rounds, per_round)
        results[size] = {}
        for name, url in ENDPOINTS.items():
            count, tables, sql = _queries(client, url)
            stats = report.measure(f"{name}_{size}", samples[name], queries=count, queries_by_table=dict(tables))
            results[size][name] = {"stats": stats, "queries": count, "tables": tables, "sql": sql}

    for name, url in ENDPOINTS.items():
        small, large = results[SMALL][name], results[LARGE][name]
        t_ratio = ratio(large["stats"]["median"], small["stats"]["median"])
        report.row(f"GET {url} time, {LARGE} vs {SMALL}", fmt_seconds(large["stats"]["median"]),
                   fmt_seconds(small["stats"]["median"]), f"{t_ratio:.1f}x")  # fmt: skip
        report.row(f"GET {url} SQL queries", str(large["queries"]), str(small["queries"]),
                   f"{ratio(large['queries'], small['queries']):.2f}x")  # fmt: skip
        report.measure(f"{name}_ratio", time_ratio=t_ratio, queries_small=small["queries"],
                       queries_large=large["queries"])  # fmt: skip
        target = small["queries"]
        met = report.check(f"{url}: queries at {LARGE} == at {SMALL} clusters", large["queries"], "==", target,
                           unit=" queries", target_text=f"== {target} (no N+1)")  # fmt: skip
        if not met:
            grown = {t: n for t, n in large["tables"].items() if n > small["tables"].get(t, 0)}
            report.findings.append(f"N+1 in GET {url}: per-request queries grow {small['queries']} -> "
                                   f"{large['queries']}; tables queried more often: {grown}")  # fmt: skip
    dash = results[LARGE]["dashboard"]
    group_queries = sum(1 for s in dash["sql"] if '"auth_group"' in s.split(" FROM ", 1)[-1][:40])
    report.measure("dashboard_role_queries", count=group_queries)
    if group_queries > 1:
        report.findings.append(
            f"GET / runs the same role lookup {group_queries} times per request (constant, not an N+1): "
            "frontend/views/common.py require_role() calls accounts/roles.py role_of(), and the context processor "
            "frontend/context.py navigation() calls role_of() and has_role() twice more, each a fresh "
            "auth_group query. Caching the role on the request (e.g. request.user._cnimgr_role) saves "
            f"{group_queries - 1} queries per page."
        )
    rows = (min(LARGE, 200), min(SMALL, 200))
    per_row = (dash["stats"]["median"] - results[SMALL]["dashboard"]["stats"]["median"]) / (rows[0] - rows[1])
    report.measure("dashboard_per_row", seconds=per_row)
    report.row("  dashboard cost per extra row shown", fmt_seconds(per_row), "", "")

    # How much of that is decrypting the write-only credentials that the page never shows.
    def rows_all(_i: int) -> list:
        return list(with_last_run(Cluster.objects.all())[:200])

    def rows_deferred(_i: int) -> list:
        return list(with_last_run(Cluster.objects.defer("token", "client_key"))[:200])

    load = interleaved({"all": rows_all, "deferred": rows_deferred}, rounds, per_round)
    full_load, deferred_load = statistics.median(load["all"]), statistics.median(load["deferred"])
    report.measure("dashboard_rows_load", all_columns=full_load, secrets_deferred=deferred_load)
    report.row("  load 200 rows (decrypts tokens)", fmt_seconds(full_load), fmt_seconds(deferred_load) + " deferred",
               f"{ratio(full_load, deferred_load):.2f}x")  # fmt: skip
    saved = full_load - deferred_load
    if saved > 0.05 * dash["stats"]["median"]:
        report.findings.append(
            f"frontend/views/fleet.py fleet() loads every Cluster column, so each page view Fernet-decrypts 200 "
            f"tokens/keys (clusters/encryption.py EncryptedTextField.from_db_value) that the page never shows: "
            f"{fmt_seconds(saved)} of a {fmt_seconds(dash['stats']['median'])} request. "
            "`.defer('token', 'client_key')` in fleet() removes it; the API list (ClusterSerializer.credentials_set) "
            "decrypts too and could test the raw column for emptiness instead."
        )

    report.chart(f"Median response time, {SMALL} vs {LARGE} clusters", "ms", [
        bar for name, url in ENDPOINTS.items() for bar in (
            (f"{url} @ {SMALL}", results[SMALL][name]["stats"]["median"] * 1e3, "base"),
            (f"{url} @ {LARGE}", results[LARGE][name]["stats"]["median"] * 1e3),
        )
    ])  # fmt: skip
    report.chart("SQL queries per request", "queries", [
        bar for name, url in ENDPOINTS.items() for bar in (
            (f"{url} @ {SMALL}", results[SMALL][name]["queries"], "base"),
            (f"{url} @ {LARGE}", results[LARGE][name]["queries"],
             "subject" if results[LARGE][name]["queries"] == results[SMALL][name]["queries"] else "bad"),
        )
    ])  # fmt: skip
    return report


if __name__ == "__main__":
    raise SystemExit(main_for("fleet_page", run))
