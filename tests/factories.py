"""factory_boy factories shared by every test package."""

from __future__ import annotations

import datetime as dt

import factory
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from clusters.models import Cluster
from operations.models import Run


def self_signed_pem(common_name: str = "test-ca") -> tuple[str, str]:
    """A throw-away certificate and key, for CA bundles and client certificates in tests."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now).not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True).sign(key, hashes.SHA256())
    )  # fmt: skip
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    return cert.public_bytes(serialization.Encoding.PEM).decode(), key_pem


_CA_PEM, _ = self_signed_pem()


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password("correct-horse-battery")

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        """`UserFactory(role="operator")` puts the user in that role's group."""
        if create and extracted:
            self.groups.add(Group.objects.get_or_create(name=extracted)[0])


class ClusterFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Cluster

    name = factory.Sequence(lambda n: f"cluster-{n}")
    display_name = factory.LazyAttribute(lambda o: o.name.replace("-", " ").title())
    server = factory.Sequence(lambda n: f"https://10.99.0.{n % 250 + 1}:6443")
    ca_bundle = _CA_PEM
    credential_kind = "token"
    token = factory.Sequence(lambda n: f"test-token-{n:04d}-abcdefgh")
    labels = factory.LazyFunction(lambda: {"env": "dev"})


class RunFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Run

    cluster = factory.SubFactory(ClusterFactory)
    cluster_name = factory.LazyAttribute(lambda o: o.cluster.name)
    kind = "connectivity"
    params = factory.LazyFunction(dict)
