"""Kubeconfig import: `clusters.kubeconfig.parse` of a 60-context file vs `yaml.safe_load` of the same text, and
`clusters.services.import_kubeconfig` of all 60 contexts end to end (validation, encryption, audit) per cluster.

No target was set for these; the ratios are reported so a regression shows up.
"""

from __future__ import annotations

import base64
import datetime as dt
import secrets
import statistics

import yaml

from benchmarks.common import Report, clock, fmt_seconds, interleaved, main_for, ratio

CONTEXTS = 60
CERT_USERS = 12  # the rest use bearer tokens


def self_signed_pem(common_name: str) -> tuple[str, str]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now).not_valid_after(now + dt.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True).sign(key, hashes.SHA256())
    )  # fmt: skip
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()  # fmt: skip
    return cert.public_bytes(serialization.Encoding.PEM).decode(), key_pem


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def fleet_kubeconfig(n: int = CONTEXTS, cert_users: int = CERT_USERS) -> str:
    """n self-contained contexts, each with its own CA; JWT-sized tokens, some embedded client certificates."""
    clusters, users, contexts = [], [], []
    for i in range(n):
        name = f"prod-eu-{i:03d}"
        ca, _ = self_signed_pem(f"{name}-ca")
        clusters.append({"name": name, "cluster": {"server": f"https://10.{i // 250}.{i % 250}.1:6443",
                                                   "certificate-authority-data": _b64(ca)}})  # fmt: skip
        if i < cert_users:
            cert, key = self_signed_pem(f"{name}-admin")
            user = {"client-certificate-data": _b64(cert), "client-key-data": _b64(key)}
        else:
            user = {"token": "eyJhbGciOiJSUzI1NiJ9." + secrets.token_urlsafe(640)}
        users.append({"name": f"{name}-cnimgr", "user": user})
        contexts.append({"name": name, "context": {"cluster": name, "user": f"{name}-cnimgr"}})
    return yaml.safe_dump({"apiVersion": "v1", "kind": "Config", "clusters": clusters, "users": users,
                           "contexts": contexts, "current-context": contexts[0]["name"]})  # fmt: skip


def _import_into_busy_process(report: Report, operator, contexts: int, known: int = 400) -> None:
    """The same small import into a process that has seen no credentials, then into one that has seen a 400-cluster
    fleet's tokens (clusters/services.py _validate() and operations/runner.py remember every cluster's secret)."""
    from clusters import kubeconfig
    from clusters.services import import_kubeconfig
    from cnimgr.redaction import forget_secrets, redact_text, remember_secret

    per_cluster, secrets_used = {}, []
    fleet = [secrets.token_urlsafe(640) for _ in range(known)]
    for label, preload in (("fresh", []), ("busy", fleet)):
        text = fleet_kubeconfig(contexts, cert_users=max(1, contexts // 5))
        secrets_used += [x for c in kubeconfig.parse(text) for x in (c.token, c.client_key) if x]
        for value in preload:
            remember_secret(value)
        redact_text("compile whatever is known now")  # not part of the measured import
        t0 = clock()
        result = import_kubeconfig(actor=operator, text=text, import_all=True, name_prefix=f"{label}-")
        per_cluster[label] = (clock() - t0) / contexts
        assert len(result["imported"]) == contexts, result["refused"][:2]
    forget_secrets(fleet + secrets_used)
    busy_ratio = ratio(per_cluster["busy"], per_cluster["fresh"])
    report.measure("import_into_busy_process", contexts=contexts, secrets_known=known,
                   fresh_per_cluster=per_cluster["fresh"], busy_per_cluster=per_cluster["busy"],
                   ratio=busy_ratio)  # fmt: skip
    report.row(f"import {contexts} contexts, {known} secrets known, per cluster", fmt_seconds(per_cluster["busy"]),
               fmt_seconds(per_cluster["fresh"]) + " (none known)", f"{busy_ratio:.0f}x")  # fmt: skip
    report.check(f"import per cluster, process knowing {known} secrets vs none", busy_ratio, "<=", 1.5,
                 note="proposed here: registering a cluster should not get slower as the fleet grows")  # fmt: skip
    report.chart(f"import_kubeconfig() of {contexts} contexts, per cluster", "ms", [
        ("process that has seen no credentials", per_cluster["fresh"] * 1e3, "base"),
        (f"process that has seen {known} clusters' tokens", per_cluster["busy"] * 1e3,
         "bad" if busy_ratio > 1.5 else "subject"),
    ])  # fmt: skip
    if busy_ratio > 1.5:
        report.findings.append(
            f"Registering clusters gets slower as the fleet grows: in a process that has seen {known} tokens, "
            f"import_kubeconfig() takes {fmt_seconds(per_cluster['busy'])} per cluster instead of "
            f"{fmt_seconds(per_cluster['fresh'])} ({busy_ratio:.0f}x); look at the cost of "
            "cnimgr/redaction.py remember_secret()/redact_text() as the known set grows (see audit_append)."
        )


def run(quick: bool) -> Report:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from audit.services import record
    from clusters import kubeconfig
    from clusters.models import Cluster
    from clusters.services import import_kubeconfig
    from cnimgr.redaction import forget_secrets

    report = Report("kubeconfig_import", quick)
    rounds, per_round = (3, 2) if quick else (6, 3)
    imports = 1 if quick else 3
    text = fleet_kubeconfig()
    report.parameters = {"contexts": CONTEXTS, "client_certificate_contexts": CERT_USERS, "bytes": len(text),
                         "parse_calls": rounds * per_round, "imports_of_60": imports}  # fmt: skip
    assert all(c.usable for c in kubeconfig.parse(text))

    # --- parse vs yaml.safe_load ------------------------------------------------------------------------------
    def c_loader(_i: int) -> object:
        return yaml.load(text, Loader=yaml.CSafeLoader)  # noqa: S506 - CSafeLoader is the libyaml SafeLoader

    subjects = {"parse": lambda _i: kubeconfig.parse(text), "safe_load": lambda _i: yaml.safe_load(text)}
    if yaml.__with_libyaml__:
        subjects["csafe_load"] = c_loader
    samples = interleaved(subjects, rounds, per_round)
    parse, load = report.measure("parse", samples["parse"]), report.measure("yaml_safe_load", samples["safe_load"])
    parse_ratio = ratio(parse["median"], load["median"])
    report.row(f"kubeconfig.parse() {CONTEXTS} contexts", fmt_seconds(parse["median"]),
               fmt_seconds(load["median"]) + " yaml.safe_load", f"{parse_ratio:.2f}x")  # fmt: skip
    report.row("  of which checks after YAML", fmt_seconds(parse["median"] - load["median"]), "", "")
    if "csafe_load" in samples:
        cload = report.measure("yaml_csafe_load", samples["csafe_load"])
        report.row("yaml.load(CSafeLoader) same text", fmt_seconds(cload["median"]),
                   fmt_seconds(load["median"]) + " yaml.safe_load",
                   f"{ratio(cload['median'], load['median']):.2f}x")  # fmt: skip
        yaml_share = load["median"] / parse["median"]
        if yaml_share > 0.5:
            report.findings.append(
                f"clusters/kubeconfig.py parse() spends {yaml_share:.0%} of its time in yaml.safe_load, the "
                f"pure-Python loader; the libyaml loader (yaml.load(text, Loader=yaml.CSafeLoader), present in this "
                f"venv, same safe constructors) reads the same {len(text) // 1024} KiB file in "
                f"{fmt_seconds(cload['median'])} instead of {fmt_seconds(load['median'])}. Fall back to "
                f"yaml.SafeLoader when libyaml is missing."
            )
    report.check("parse() vs yaml.safe_load (median)", parse_ratio, "<=", 2.0,
                 note="proposed here: the safety checks should not cost more than the YAML parse itself")  # fmt: skip

    # --- import end to end vs a plain save of the same clusters ------------------------------------------------
    operator = get_user_model().objects.create_user("operator", password="x" * 16)
    operator.groups.add(Group.objects.get(name="operator"))
    _import_into_busy_process(report, operator, 5 if quick else 10)
    import_times, plain_times, audit_plain_times = [], [], []
    for k in range(imports):
        # A new file each time (new tokens), imported by a process that has not seen any credentials yet.
        file_k = text if k == 0 else fleet_kubeconfig()
        candidates = [c for c in kubeconfig.parse(file_k) if c.usable]
        t0 = clock()
        result = import_kubeconfig(actor=operator, text=file_k, import_all=True, name_prefix=f"i{k}-")
        import_times.append((clock() - t0) / CONTEXTS)
        assert len(result["imported"]) == CONTEXTS and not result["refused"], result["refused"][:2]
        forget_secrets([x for c in candidates for x in (c.token, c.client_key) if x])
        # Baseline: the same rows saved with the ORM (the encrypted fields still encrypt), no checks, no audit.
        t0 = clock()
        for c in candidates:
            Cluster(name=f"p{k}-{c.name}", display_name=c.context, server=c.server, ca_bundle=c.ca_pem,
                    credential_kind=c.credential_kind, token=c.token, client_certificate=c.client_certificate,
                    client_key=c.client_key).save()  # fmt: skip
        plain_times.append((clock() - t0) / CONTEXTS)
        # A second baseline: plain save plus its audit event in one transaction (what any audited write costs).
        t0 = clock()
        for c in candidates:
            with transaction.atomic():
                cluster = Cluster(name=f"a{k}-{c.name}", display_name=c.context, server=c.server, ca_bundle=c.ca_pem,
                                  credential_kind=c.credential_kind, token=c.token,
                                  client_certificate=c.client_certificate, client_key=c.client_key)  # fmt: skip
                cluster.save()
                record("cluster.create", cluster, actor=operator, cluster=cluster.name, after=cluster.snapshot())
        audit_plain_times.append((clock() - t0) / CONTEXTS)
    per_cluster, plain_per, audited_per = (statistics.median(x) for x in (import_times, plain_times,
                                                                          audit_plain_times))  # fmt: skip
    report.measure("import_per_cluster", import_times)
    report.measure("plain_save_per_cluster", plain_times)
    report.measure("save_plus_audit_per_cluster", audit_plain_times)
    import_ratio = ratio(per_cluster, plain_per)
    report.row(f"import_kubeconfig() all {CONTEXTS}, per cluster", fmt_seconds(per_cluster),
               fmt_seconds(plain_per) + " Cluster.save()", f"{import_ratio:.2f}x")  # fmt: skip
    report.row("  same, vs save + audit record()", fmt_seconds(per_cluster), fmt_seconds(audited_per),
               f"{ratio(per_cluster, audited_per):.2f}x")  # fmt: skip
    report.row(f"  whole file of {CONTEXTS}", fmt_seconds(per_cluster * CONTEXTS), "", "")
    report.check("import_kubeconfig() per cluster vs save + audit record()", ratio(per_cluster, audited_per), "<=",
                 3.0, note="proposed here: parsing and checks cost at most twice the audited write")  # fmt: skip

    # Attribution only (not the shipped behaviour): the same import with remember_secret() stubbed out, so no
    # redaction pattern is rebuilt between the clusters of the file.
    from unittest import mock

    whatif_file = fleet_kubeconfig()
    with mock.patch("clusters.services.remember_secret", lambda _value: None):
        t0 = clock()
        import_kubeconfig(actor=operator, text=whatif_file, import_all=True, name_prefix="w-")
        whatif = (clock() - t0) / CONTEXTS
    report.measure("import_per_cluster_without_remember_secret", median=whatif)
    report.row("  what-if: remember_secret() stubbed", fmt_seconds(whatif), fmt_seconds(audited_per),
               f"{ratio(whatif, audited_per):.2f}x")  # fmt: skip
    if ratio(per_cluster, audited_per) > 3.0:
        report.findings.append(
            f"import_kubeconfig() of one {CONTEXTS}-context file in a fresh process takes "
            f"{fmt_seconds(per_cluster * CONTEXTS)} ({fmt_seconds(per_cluster)} per cluster, "
            f"{ratio(per_cluster, audited_per):.0f}x a save + audit record()); with remember_secret() stubbed it "
            f"takes {fmt_seconds(whatif)} per cluster: the difference is cnimgr/redaction.py's bookkeeping of "
            "each new token."
        )

    with CaptureQueriesContext(connection) as q:
        import_kubeconfig(actor=operator, text=text, import_all=True, name_prefix="q-")
    forget_secrets([x for c in kubeconfig.parse(text) for x in (c.token, c.client_key) if x])
    report.measure("queries_per_import", count=len(q), per_cluster=len(q) / CONTEXTS)
    report.row("SQL statements per imported cluster", f"{len(q) / CONTEXTS:.1f}", "", "")

    report.chart(f"Reading a {CONTEXTS}-context kubeconfig ({len(text) // 1024} KiB)", "ms", [
        ("yaml.safe_load (baseline)", load["median"] * 1e3, "base"),
        *([("yaml.load CSafeLoader", samples and report.measurements["yaml_csafe_load"]["median"] * 1e3, "base")]
          if "csafe_load" in samples else []),
        ("kubeconfig.parse()", parse["median"] * 1e3),
    ])  # fmt: skip
    report.chart("Registering one cluster (median over files of 60)", "ms", [
        ("Cluster.save() with encryption (baseline)", plain_per * 1e3, "base"),
        ("save + audit record()", audited_per * 1e3, "base"),
        ("import_kubeconfig(), per cluster", per_cluster * 1e3),
        ("same, remember_secret() stubbed (what-if)", whatif * 1e3, "base"),
    ])  # fmt: skip
    return report


if __name__ == "__main__":
    raise SystemExit(main_for("kubeconfig_import", run))
