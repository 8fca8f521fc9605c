"""The run kinds the Django side calls. This module is the contract; keep its names stable.

    KINDS: dict[str, OperationSpec]   # connectivity, check, install-cni, upgrade-cni, uninstall-cni
    spec.validate(params) -> dict     # normalised; InvalidParams(field, message) names the field
    spec.run(conn, params, reporter) -> dict   # JSON-serialisable, no secrets; OperationFailed = cluster said no
    observe(conn) -> dict             # Kubernetes version, CNI and control-plane state
"""

from __future__ import annotations

from lifecycle.observe import observe
from lifecycle.ops import check, cni_apply, connectivity, uninstall
from lifecycle.ops.common import OperationSpec

KINDS: dict[str, OperationSpec] = {
    spec.name: spec
    for spec in (
        connectivity.SPEC,
        OperationSpec("check", mutating=False, description="Run the CNI (or pre-install) checks",
                      validate_fn=check.validate, run_fn=check.run),
        OperationSpec("install-cni", mutating=True, description="Install or re-apply the Linkerd CNI plugin",
                      validate_fn=cni_apply.validate_install, run_fn=cni_apply.run_install),
        OperationSpec("upgrade-cni", mutating=True, description="Move the CNI plugin to another catalogue release",
                      validate_fn=cni_apply.validate_upgrade, run_fn=cni_apply.run_upgrade),
        OperationSpec("uninstall-cni", mutating=True, description="Remove every linkerd-cni object",
                      validate_fn=uninstall.validate, run_fn=uninstall.run),
    )
}

__all__ = ["KINDS", "OperationSpec", "observe"]
