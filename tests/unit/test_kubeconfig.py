import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clusters.kubeconfig import KubeconfigError, parse
from tests.kubeconfigs import cert_user, kubeconfig

CANARY = "canary-token-5f0e1d2c3b4a"


def test_token_and_certificate_contexts_are_usable():
    text = kubeconfig({"prod-eu": {"token": CANARY}, "dev": cert_user()})
    by_name = {c.context: c for c in parse(text)}
    assert by_name["prod-eu"].usable and by_name["prod-eu"].credential_kind == "token"
    assert by_name["prod-eu"].token == CANARY
    assert by_name["dev"].credential_kind == "client-certificate"
    assert "BEGIN CERTIFICATE" in by_name["dev"].client_certificate
    assert by_name["prod-eu"].name == "prod-eu"


@pytest.mark.parametrize(
    ("user", "words"),
    [
        ({"exec": {"command": "aws", "apiVersion": "client.authentication.k8s.io/v1"}}, "runs a command"),
        ({"auth-provider": {"name": "gcp"}}, "auth-provider"),
        ({"tokenFile": "/var/run/token"}, "tokenFile"),
        ({"client-certificate": "/home/me/cert.pem", "client-key": "/home/me/key.pem"}, "file path"),
        ({"username": "admin", "password": "hunter2hunter2"}, "basic authentication"),
        ({}, "no token"),
        ({"client-certificate-data": "bm90IGEgY2VydA==", "client-key-data": "bm90IGEga2V5"}, "not PEM"),
    ],
)
def test_unsafe_or_incomplete_users_are_refused_with_reason(user, words):
    (candidate,) = parse(kubeconfig({"ctx": user}))
    assert not candidate.usable
    assert words in candidate.problem
    assert candidate.hint
    assert "hunter2" not in candidate.problem + candidate.hint


def test_exec_refusal_explains_how_to_make_a_token_context():
    (candidate,) = parse(kubeconfig({"eks": {"exec": {"command": "aws"}}}))
    assert "token" in candidate.hint and "kubectl create token" in candidate.hint


@pytest.mark.parametrize(
    ("cluster", "words"),
    [
        ({"server": "http://10.0.0.1"}, "https"),
        ({"server": "https://10.0.0.1", "insecure-skip-tls-verify": True}, "insecure"),
        ({"server": "https://10.0.0.1", "certificate-authority": "/etc/ca.pem"}, "file path"),
        ({}, "no `server`"),
    ],
)
def test_bad_cluster_entries_are_refused(cluster, words):
    doc = yaml.safe_load(kubeconfig({"ctx": {"token": CANARY}}))
    doc["clusters"][0]["cluster"] = cluster
    (candidate,) = parse(yaml.safe_dump(doc))
    assert words in candidate.problem
    assert candidate.token == ""  # a refused context keeps no secret around


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("", "mapping"),
        ("- a\n- b\n", "mapping"),
        ("kind: Pod\n", "kind Config"),
        ("kind: Config\ncontexts: []\n", "no contexts"),
        ("kind: Config\ncontexts: {a: 1}\n", "must be a list"),
        ("key: [unclosed\n", "not valid YAML at line"),
    ],
)
def test_malformed_files_raise_a_clear_error(text, words):
    with pytest.raises(KubeconfigError, match=words.replace("`", "")):
        parse(text)


def test_file_larger_than_a_mebibyte_is_refused():
    with pytest.raises(KubeconfigError, match="1 MiB"):
        parse(b"#" * (1024 * 1024 + 1))


yaml_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.one_of(
        st.text(max_size=300),
        yaml_values.map(lambda v: yaml.safe_dump(v)),
        st.fixed_dictionaries(
            {"kind": st.just("Config"), "clusters": yaml_values, "users": yaml_values, "contexts": yaml_values}
        ).map(yaml.safe_dump),
    )
)
def test_any_input_either_parses_or_raises_kubeconfig_error(text):
    """Generated malformed input never crashes the parser with anything but a clear KubeconfigError."""
    try:
        candidates = parse(text)
    except KubeconfigError as exc:
        assert str(exc)
    else:
        for candidate in candidates:
            assert candidate.usable or candidate.problem
