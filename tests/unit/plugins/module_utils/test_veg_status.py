"""The status written into the object: every condition says which generation it is for (Kube-OVN
v1.14's CRD refuses a condition without observedGeneration; the kube-apiserver e2e writes it)."""
from __future__ import annotations

from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._veg_status import with_observed_generation


def test_conditions_get_the_generation_they_are_written_for():
    status = {"ready": True, "conditions": [{"type": "Ready", "status": "True"},
                                            {"type": "Init", "status": "Unknown", "observedGeneration": 1}]}
    stamped = with_observed_generation(status, 3)
    assert [c["observedGeneration"] for c in stamped["conditions"]] == [3, 1]
    assert "observedGeneration" not in status["conditions"][0], "the given status is not changed"
    assert with_observed_generation({"ready": False}, 3) == {"ready": False}
