import logging

from cnimgr.redaction import REDACTED, RedactingFilter, redact, redact_text, remember_secret


def test_secret_named_keys_are_masked_deeply():
    data = {"token": "abc12345678", "nested": [{"client_key": "k"}, {"name": "ok"}], "password": None}
    assert redact(data) == {"token": REDACTED, "nested": [{"client_key": REDACTED}, {"name": "ok"}], "password": None}


def test_flags_about_secrets_are_not_masked():
    assert redact({"credential_kind": "token", "credentials_set": True}) == {
        "credential_kind": "token", "credentials_set": True}


def test_pem_keys_and_bearer_headers_are_scrubbed_from_text():
    text = (
        "Authorization: Bearer eyJhbGciOiJSUzI1NiJ9.payload.sig and "
        "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----"
    )
    out = redact_text(text)
    assert "eyJhbGci" not in out and "MIIE" not in out and out.count(REDACTED) == 2


def test_remembered_secret_is_masked_in_log_records():
    remember_secret("sekrit-value-123")
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "failed with %s", ("sekrit-value-123",), None)
    RedactingFilter().filter(record)
    assert "sekrit" not in record.getMessage()


def test_many_remembered_secrets_are_all_masked():
    secrets = [f"bulk-secret-{i:05d}-xyz" for i in range(300)]
    for value in secrets:
        remember_secret(value)
    text = " ".join(secrets[::37])
    assert "bulk-secret" not in redact_text(text)
