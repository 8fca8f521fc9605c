"""What the dashboard needs to know about run kinds and Linkerd versions, read from the engine's catalogues."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class KindInfo:
    name: str
    label: str
    description: str
    mutating: bool

    @property
    def takes_version(self) -> bool:
        return self.name in ("install-cni", "upgrade-cni")


def _describe(spec) -> str:
    text = getattr(spec, "description", "") or getattr(spec, "summary", "") or ""
    if not text and callable(getattr(spec, "run", None)):
        text = (spec.run.__doc__ or "").strip().split("\n")[0]
    return str(text)


def run_kinds() -> list[KindInfo]:
    from lifecycle.operations import KINDS

    kinds = []
    for name, spec in KINDS.items():
        label = getattr(spec, "title", "") or getattr(spec, "label", "") or name.replace("-", " ").capitalize()
        kinds.append(
            KindInfo(
                name=name,
                label=str(label).replace("Cni", "CNI").replace("cni", "CNI"),
                description=_describe(spec),
                mutating=bool(getattr(spec, "mutating", False)),
            )
        )
    return kinds


def kind_names() -> list[str]:
    return [k.name for k in run_kinds()]


def version_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    """Linkerd releases grouped by channel, newest first, for a <select> with optgroups."""
    try:
        from lifecycle.versions import catalogue
    except ImportError:
        return []
    groups: dict[str, list[tuple[str, str]]] = {}
    for release in catalogue().values():
        label = f"{release.version} — Linkerd {release.major_label}, cni-plugin {release.cni_plugin}"
        if release.unverified:
            label += " (unverified)"
        groups.setdefault(release.channel, []).append((release.version, label))
    return [(channel, list(reversed(items))) for channel, items in groups.items()]


def default_version() -> str:
    """The newest edge release: the maintained open-source line (open-source stable ended with 2.14)."""
    try:
        from lifecycle.versions import latest

        return latest("edge").version
    except (ImportError, IndexError):
        return ""
