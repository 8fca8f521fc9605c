"""Dashboard forms. They only shape input; the services validate and write."""

from __future__ import annotations

import json

from django import forms
from django.core.exceptions import ValidationError

from clusters.models import Cluster, CredentialKind, label_key
from cnimgr.api.errors import ServiceError


class SecretTextarea(forms.Textarea):
    """A textarea that never renders a value back: secrets are write-only."""

    def format_value(self, value):
        return None


def parse_labels(text: str) -> dict[str, str]:
    """`env=prod, region=eu-west` (commas or new lines) -> {"env": "prod", "region": "eu-west"}."""
    labels: dict[str, str] = {}
    for part in filter(None, (p.strip() for p in text.replace("\n", ",").split(","))):
        if "=" not in part:
            raise ValidationError(f"“{part}” is not key=value.")
        key, value = (s.strip() for s in part.split("=", 1))
        try:
            label_key(key)
        except ValidationError:
            raise ValidationError(f"“{key}” is not a valid label key.") from None
        labels[key] = value
    return labels


def labels_text(labels: dict | None) -> str:
    return ", ".join(f"{k}={v}" for k, v in sorted((labels or {}).items()))


def _field_for(form: forms.Form, key: str) -> str | None:
    short = key.removeprefix("params.")
    for name in (key, short, "params" if key.startswith("params.") else ""):
        if name and name in form.fields:
            return name
    return None


def apply_service_error(form: forms.Form, exc: ServiceError) -> None:
    """Put a service refusal on the form: the message (and what to do) on top, field messages next to fields."""
    form.add_error(None, exc.message + (f" What to do: {exc.hint}" if exc.hint else ""))
    for key, errors in (exc.fields or {}).items():
        name = _field_for(form, key)
        if name is None:
            continue
        for error in errors if isinstance(errors, list) else [errors]:
            form.add_error(name, str(error) if name == key else f"{key.removeprefix('params.')}: {error}")


class ClusterForm(forms.Form):
    name = forms.SlugField(max_length=100, help_text="Short unique name used in URLs and targeting, e.g. prod-eu-1.")
    display_name = forms.CharField(max_length=200, required=False)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
    server = forms.URLField(
        max_length=500, assume_scheme="https", widget=forms.URLInput(attrs={"placeholder": "https://10.0.0.1:6443"})
    )
    ca_bundle = forms.CharField(
        label="CA bundle (PEM)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "placeholder": "-----BEGIN CERTIFICATE-----"}),
    )
    credential_kind = forms.ChoiceField(choices=CredentialKind.choices, initial=CredentialKind.TOKEN)
    token = forms.CharField(
        label="Bearer token",
        required=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
    )
    client_certificate = forms.CharField(
        label="Client certificate (PEM)", required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    client_key = forms.CharField(
        label="Client key (PEM)", required=False, widget=SecretTextarea(attrs={"rows": 4, "autocomplete": "off"})
    )
    labels = forms.CharField(
        required=False,
        help_text="key=value pairs, separated by commas: env=prod, region=eu-west",
        widget=forms.TextInput(attrs={"placeholder": "env=prod, region=eu-west"}),
    )
    enabled = forms.BooleanField(required=False, initial=True)

    def __init__(self, *args, cluster: Cluster | None = None, **kwargs):
        self.cluster = cluster
        if cluster is not None:
            kwargs.setdefault("initial", {
                "name": cluster.name, "display_name": cluster.display_name, "description": cluster.description,
                "server": cluster.server, "ca_bundle": cluster.ca_bundle, "credential_kind": cluster.credential_kind,
                "client_certificate": cluster.client_certificate, "labels": labels_text(cluster.labels),
                "enabled": cluster.enabled,
            })  # fmt: skip
        super().__init__(*args, **kwargs)
        if cluster is not None:
            del self.fields["name"]
            keep = "set — leave empty to keep it"
            self.fields["token"].help_text = keep if cluster.token else "not set"
            self.fields["client_key"].help_text = keep if cluster.client_key else "not set"

    def clean_labels(self) -> dict[str, str]:
        return parse_labels(self.cleaned_data.get("labels") or "")

    def service_fields(self) -> dict:
        data = dict(self.cleaned_data)
        data.pop("name", None)
        return data


class KubeconfigUploadForm(forms.Form):
    file = forms.FileField(required=False, label="Kubeconfig file")
    kubeconfig = forms.CharField(
        required=False,
        label="…or paste it",
        widget=SecretTextarea(
            attrs={"rows": 8, "spellcheck": "false", "placeholder": "apiVersion: v1\nkind: Config\n…"}
        ),
    )
    labels = forms.CharField(required=False, help_text="Applied to every imported cluster, e.g. env=prod, region=eu")
    name_prefix = forms.CharField(
        required=False, max_length=40, help_text="Prepended to each context name to make the cluster name"
    )

    def clean_labels(self) -> dict[str, str]:
        return parse_labels(self.cleaned_data.get("labels") or "")

    def clean(self):
        data = super().clean()
        if not data.get("file") and not (data.get("kubeconfig") or "").strip():
            raise ValidationError("Choose a kubeconfig file or paste its content.")
        return data

    def text(self) -> bytes | str:
        upload = self.cleaned_data.get("file")
        return upload.read() if upload else self.cleaned_data["kubeconfig"]


class StartRunForm(forms.Form):
    kind = forms.ChoiceField()
    version = forms.ChoiceField(required=False, label="Linkerd version")
    params = forms.CharField(
        required=False,
        label="Parameters (JSON)",
        widget=forms.Textarea(
            attrs={"rows": 6, "spellcheck": "false", "placeholder": '{"values": {"logLevel": "debug"}}'}
        ),
    )

    def __init__(self, *args, kinds: list, versions: list, default_version: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [(k.name, k.label) for k in kinds]
        self.fields["version"].choices = versions
        self.fields["version"].initial = default_version

    def clean_params(self) -> dict:
        text = (self.cleaned_data.get("params") or "").strip()
        if not text:
            return {}
        try:
            value = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValidationError(f"Not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}.") from None
        if not isinstance(value, dict):
            raise ValidationError('Parameters must be a JSON object, e.g. {"version": "stable-2.14.10"}.')
        return value

    def run_params(self) -> dict:
        params = dict(self.cleaned_data.get("params") or {})
        if self.cleaned_data.get("version"):
            params["version"] = self.cleaned_data["version"]
        return params
