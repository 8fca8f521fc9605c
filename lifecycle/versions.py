"""The catalogue of Linkerd releases cnimgr can install, and the upgrade rules between them (facts §5)."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import yaml

from lifecycle.errors import InvalidParams

CHANNELS = ("edge", "stable", "enterprise")

# The first cni-plugin version that understands a setting (facts §1, §5.2). Older plugins silently ignore it.
FEATURE_MIN_CNI_PLUGIN: dict[str, tuple[int, int, int]] = {
    "repairController": (1, 3, 0),  # repair-controller binary in the image
    "iptablesMode": (1, 4, 0),  # iptables-mode and ipv6 honoured
    "ipv6": (1, 4, 0),
    "proxyGID": (1, 5, 0),
    "iptablesMode=plain": (1, 6, 0),  # edge-25.1.1, which also dropped the legacy "policy" block
}


def parse_major(text: str) -> tuple[int, int]:
    major, minor = text.split(".")
    return int(major), int(minor)


def parse_semver(text: str) -> tuple[int, int, int]:
    """``v1.7.0-alpha.1`` -> (1, 7, 0); the pre-release part is ignored for feature gates."""
    match = re.match(r"v?(\d+)\.(\d+)\.(\d+)", text)
    if not match:
        raise ValueError(f"not a version: {text!r}")
    return int(match[1]), int(match[2]), int(match[3])


@dataclass(frozen=True)
class Release:
    version: str
    channel: str
    major: tuple[int, int]
    cni_plugin: str
    min_kubernetes: tuple[int, int]
    position: int  # order inside its channel, oldest first
    defaults: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)
    note: str = ""
    unverified: bool = False

    @property
    def major_label(self) -> str:
        return f"{self.major[0]}.{self.major[1]}"

    def supports(self, feature: str) -> bool:
        return parse_semver(self.cni_plugin) >= FEATURE_MIN_CNI_PLUGIN[feature]

    def as_dict(self) -> dict[str, Any]:
        return {
            "version": self.version, "channel": self.channel, "major": self.major_label,
            "cni_plugin": self.cni_plugin, "min_kubernetes": "{}.{}".format(*self.min_kubernetes),
            "defaults": dict(self.defaults), "note": self.note, "unverified": self.unverified,
        }


@functools.cache
def catalogue() -> dict[str, Release]:
    """Every known release by version string, in catalogue order (per channel, oldest first)."""
    raw = yaml.safe_load(resources.files("lifecycle.data").joinpath("versions.yaml").read_text())
    releases: dict[str, Release] = {}
    for channel in CHANNELS:
        for position, entry in enumerate(raw["channels"][channel]["releases"]):
            release = Release(
                version=entry["version"], channel=channel, major=parse_major(entry["major"]),
                cni_plugin=entry["cni_plugin"], min_kubernetes=parse_major(entry["min_kubernetes"]),
                position=position, defaults=entry.get("defaults", {}), note=entry.get("note", ""),
                unverified=bool(entry.get("unverified", False)),
            )
            if not release.version.startswith(channel + "-"):
                raise ValueError(f"{release.version} listed under channel {channel}")
            releases[release.version] = release
    return releases


def known_versions() -> list[str]:
    return list(catalogue())


def get_release(version: str, field_name: str = "version") -> Release:
    """The catalogue entry, or InvalidParams listing every known version."""
    release = catalogue().get(str(version).strip())
    if release is None:
        raise InvalidParams(field_name, f"unknown Linkerd version {version!r}; known versions: "
                            + ", ".join(known_versions()))
    return release


def latest(channel: str) -> Release:
    return [r for r in catalogue().values() if r.channel == channel][-1]


def check_upgrade(source: Release, target: Release, field_name: str = "version") -> list[str]:
    """Refuse unsupported steps (downgrades, skipped majors); return warnings for allowed but unusual ones.

    Rules (facts §5.3): upgrade one major at a time; any newer release within a major is fine; edge releases of
    2.X may move to any edge within 2.X or 2.X+1.
    """
    warnings: list[str] = []
    next_major = (source.major[0], source.major[1] + 1)
    if target.major > next_major:
        raise InvalidParams(field_name, f"cannot upgrade from {source.version} (Linkerd {source.major_label}) to "
                            f"{target.version} (Linkerd {target.major_label}): upgrade one major version at a time, "
                            f"first to a {next_major[0]}.{next_major[1]} release")
    if target.major < source.major or (
        target.major == source.major and target.channel == source.channel and target.position < source.position
    ):
        raise InvalidParams(field_name, f"{target.version} is older than the installed {source.version}; "
                            "downgrades are not supported")
    if target.channel != source.channel:
        warnings.append(f"changing channel from {source.channel} to {target.channel}")
    if target.unverified:
        warnings.append(f"{target.version}: {target.note or 'catalogue entry not verified'}")
    changed_defaults = {k: v for k, v in target.defaults.items() if source.defaults.get(k) != v}
    changed_defaults.update({k: "HEAD default" for k in source.defaults if k not in target.defaults})
    for key in sorted(changed_defaults):
        warnings.append(f"the chart default of {key} differs between {source.version} and {target.version}; "
                        "set it explicitly to keep the current behaviour")
    return warnings


def at_least(release: Release, version: str) -> bool:
    """True when ``release`` is ``version`` or newer in the same channel (False across channels)."""
    other = catalogue()[version]
    return release.channel == other.channel and release.position >= other.position
