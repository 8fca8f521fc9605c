import datetime as dt
import json
import os
import socket
import ssl
import stat
import threading

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from kubernetes.client.rest import ApiException

from lifecycle.errors import ClusterError
from lifecycle.kube import ClusterConnection, classify_error, describe_forbidden, translate_errors
from lifecycle.objects import server_version

SECRET_KEY = "-----BEGIN EC PRIVATE KEY-----\nSECRET\n-----END EC PRIVATE KEY-----\n"


def self_signed(tmp_path):
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(1).not_valid_before(now).not_valid_after(now + dt.timedelta(days=1))
            .sign(key, hashes.SHA256()))
    cert_path, key_path = tmp_path / "srv.crt", tmp_path / "srv.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


def api_exception(status, message=""):
    exc = ApiException(status=status, reason="x")
    exc.body = json.dumps({"kind": "Status", "message": message})
    return exc


def test_repr_and_errors_never_show_secrets():
    conn = ClusterConnection("c1", "https://127.0.0.1:1", ca_pem="CA", token="tok-SECRET",
                             client_cert_pem="CERT", client_key_pem=SECRET_KEY)
    assert "SECRET" not in repr(conn) and "tok-" not in repr(conn)
    with pytest.raises(ClusterError) as err:
        server_version(conn)
    assert "SECRET" not in str(err.value) and "SECRET" not in err.value.hint
    conn.close()


def test_credentials_live_in_a_private_dir_removed_on_close():
    with ClusterConnection("c1", "https://127.0.0.1:1", ca_pem="CA", client_cert_pem="CERT",
                           client_key_pem=SECRET_KEY) as conn:
        api = conn.api_client()
        assert conn.api_client() is api  # one shared client per connection
        key_file = api.configuration.key_file
        directory = os.path.dirname(key_file)
        assert stat.S_IMODE(os.stat(directory).st_mode) == 0o700
        assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    assert not os.path.exists(directory)


def test_connection_needs_https_and_credentials():
    with pytest.raises(ValueError):
        ClusterConnection("c", "http://x", token="t")
    with pytest.raises(ValueError):
        ClusterConnection("c", "https://x")


@pytest.mark.parametrize(("status", "kind"), [(401, "unauthorized"), (403, "forbidden"), (404, "not-found"),
                                              (409, "conflict"), (422, "invalid"), (500, "server-error"),
                                              (503, "server-error")])
def test_status_codes_map_to_kinds_with_hints(status, kind):
    error = classify_error(api_exception(status), "apply DaemonSet x")
    assert error.kind == kind and error.hint and "apply DaemonSet x" in str(error)


def test_forbidden_names_verb_and_resource():
    message = ('clusterroles.rbac.authorization.k8s.io is forbidden: User "cnimgr" cannot create resource '
               '"clusterroles" in API group "rbac.authorization.k8s.io" at the cluster scope')
    error = classify_error(api_exception(403, message))
    assert str(error).startswith("cannot create clusterroles.rbac.authorization.k8s.io")
    assert "docs/permissions" in error.hint
    assert describe_forbidden('cannot get resource "pods" in API group "" in the namespace "x"') == \
        "cannot get pods in namespace x"


def test_unreachable_server():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with ClusterConnection("c", f"https://127.0.0.1:{port}", token="t") as conn, \
            pytest.raises(ClusterError) as err:
        server_version(conn)
    assert err.value.kind == "unreachable" and "server URL" in err.value.hint


def test_tls_failure(tmp_path):
    cert, key = self_signed(tmp_path)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)

    def serve():  # the client retries once, so answer every handshake until the socket closes
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            try:
                context.wrap_socket(conn, server_side=True).close()
            except (ssl.SSLError, OSError):
                conn.close()

    threading.Thread(target=serve, daemon=True).start()
    (tmp_path / "other").mkdir()
    other_ca, _ = self_signed(tmp_path / "other")
    with ClusterConnection("c", f"https://127.0.0.1:{server.getsockname()[1]}", token="t",
                           ca_pem=other_ca.read_text()) as conn, pytest.raises(ClusterError) as err:
        server_version(conn)
    server.close()
    assert err.value.kind == "tls"


def test_bugs_are_not_disguised_as_cluster_errors():
    with pytest.raises(TypeError):
        classify_error(KeyError("x"))
    with pytest.raises(KeyError), translate_errors("do something"):
        raise KeyError("x")


def test_token_is_sent_as_a_bearer_authorization_header():
    from lifecycle.kube import ClusterConnection

    with ClusterConnection(name="t", server="https://127.0.0.1:6443", token="tok-123456789") as conn:
        auth = conn.api_client().configuration.auth_settings()["BearerToken"]
        assert (auth["in"], auth["key"], auth["value"]) == ("header", "authorization", "Bearer tok-123456789")
