"""Render kwok's stage config for one cluster, with the cluster's current faults written into the selectors.

Selectors are jq expressions evaluated by kwok against each object (kwok ``pkg/utils/expression``):
``NotIn`` matches when no result is in the list, ``In`` when one is.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any, NamedTuple

import yaml

BASE = Path(__file__).with_name("kwok_stages.yaml")

# The identity of a held pod as kwok sees it: "<namespace>/<owning DaemonSet>@<node>".
HOLD_KEY = (
    '.metadata.namespace + "/" + '
    '([.metadata.ownerReferences[]? | select(.kind == "DaemonSet") | .name] | join(",")) + '
    '"@" + (.spec.nodeName // "")'
)


class Hold(NamedTuple):
    namespace: str
    daemonset: str
    node: str

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.daemonset}@{self.node}"


def _base() -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(BASE.read_text()) if doc]


def _add(stage: dict[str, Any], key: str, operator: str, values: list[str]) -> None:
    stage["spec"]["selector"]["matchExpressions"].append({"key": key, "operator": operator, "values": values})


def render(not_ready_nodes: list[str], holds: list[Hold]) -> list[dict[str, Any]]:
    stages = []
    hold_keys = sorted(h.key for h in holds)
    for stage in copy.deepcopy(_base()):
        name = stage["metadata"]["name"]
        kind = stage["spec"]["resourceRef"]["kind"]
        if kind == "Node" and not_ready_nodes:
            # kwok neither initialises nor heartbeats these nodes, so a NotReady status written by the test stays.
            _add(stage, ".metadata.name", "NotIn", sorted(not_ready_nodes))
        if name in ("pod-ready", "pod-held") and not_ready_nodes:
            # Nothing starts on a node whose kubelet is not ready.
            _add(stage, ".spec.nodeName", "NotIn", sorted(not_ready_nodes))
        if name == "pod-ready" and hold_keys:
            _add(stage, HOLD_KEY, "NotIn", hold_keys)
        if name == "pod-held":
            if not hold_keys:
                continue  # an "In" selector needs at least one value
            _add(stage, HOLD_KEY, "In", hold_keys)
        stages.append(stage)
    return stages


class _Dumper(yaml.SafeDumper):
    pass


def _str_representer(dumper: yaml.SafeDumper, data: str) -> yaml.ScalarNode:
    # Keep the Go templates readable as block scalars in the generated file.
    style = "|" if "\n" in data else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_Dumper.add_representer(str, _str_representer)


def write(path: Path, not_ready_nodes: list[str], holds: list[Hold]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = yaml.dump_all(render(not_ready_nodes, holds), Dumper=_Dumper, sort_keys=False)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(text)
    tmp.replace(path)
    return path
