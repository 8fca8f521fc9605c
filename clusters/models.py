from __future__ import annotations

from django.core.validators import RegexValidator
from django.db import models

from clusters.encryption import EncryptedTextField

label_key = RegexValidator(r"^([a-z0-9.-]+/)?[A-Za-z0-9]([A-Za-z0-9_.-]{0,61}[A-Za-z0-9])?$", "Invalid label key.")


class CredentialKind(models.TextChoices):
    TOKEN = "token", "Bearer token"
    CLIENT_CERTIFICATE = "client-certificate", "Client certificate and key"


class Cluster(models.Model):
    name = models.SlugField(max_length=100, unique=True, help_text="Short unique name, used in URLs and targeting")
    display_name = models.CharField(max_length=200, blank=True)
    description = models.TextField(blank=True)
    server = models.URLField(max_length=500, help_text="API server URL, e.g. https://10.0.0.1:6443")
    ca_bundle = models.TextField(blank=True, help_text="PEM CA bundle that signs the API server's certificate")
    credential_kind = models.CharField(max_length=32, choices=CredentialKind.choices)
    # Write-only secrets, encrypted at rest.
    token = EncryptedTextField(blank=True)
    client_certificate = models.TextField(blank=True)
    client_key = EncryptedTextField(blank=True)
    labels = models.JSONField(default=dict, blank=True)
    enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # Observed state, written back by runs.
    kubernetes_version = models.CharField(max_length=64, blank=True)
    cni_version = models.CharField(max_length=64, blank=True)
    cni_installed_by = models.CharField(max_length=32, blank=True)
    control_plane_version = models.CharField(max_length=64, blank=True)
    cni_enabled = models.BooleanField(null=True, blank=True)
    observed = models.JSONField(default=dict, blank=True)
    observed_at = models.DateTimeField(null=True, blank=True)
    reachable = models.BooleanField(null=True, blank=True)
    missing_permissions = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def title(self) -> str:
        return self.display_name or self.name

    @property
    def credentials_set(self) -> bool:
        if self.credential_kind == CredentialKind.TOKEN:
            return bool(self.token)
        return bool(self.client_certificate and self.client_key)

    def label_text(self) -> str:
        return ",".join(f"{k}={v}" for k, v in sorted(self.labels.items()))

    def snapshot(self) -> dict:
        """Audit snapshot: never the secrets themselves, only whether they are set."""
        return {
            "name": self.name,
            "display_name": self.display_name,
            "description": self.description,
            "server": self.server,
            "ca_bundle_set": bool(self.ca_bundle),
            "credential_kind": self.credential_kind,
            "credentials_set": self.credentials_set,
            "labels": self.labels,
            "enabled": self.enabled,
        }
