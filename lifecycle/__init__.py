"""The Linkerd/Kubernetes engine: pure Python, no Django imports.

It renders manifests, applies them with server-side apply, prunes, waits for rollouts and runs checks. The
Django side (operations/) drives it through a :class:`lifecycle.reporting.Reporter`.
"""
