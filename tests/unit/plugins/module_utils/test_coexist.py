"""Who runs the gateway: kube-ovn-controller's version from its image, and the mode decision (pure)."""
import pytest

from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._coexist import (
    controller_facts, decide, image_version)
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._common import EgressGatewayError


@pytest.mark.parametrize("image, version", [
    ("docker.io/kubeovn/kube-ovn:v1.14.0", (1, 14, 0)), ("kubeovn/kube-ovn:v1.15.2-x86", (1, 15, 2)),
    ("registry:5000/kubeovn/kube-ovn:v1.13.4-debug", (1, 13, 4)), ("kube-ovn:1.16.0", (1, 16, 0)),
    ("kubeovn/kube-ovn:latest", None), ("kubeovn/kube-ovn", None), ("registry:5000/kube-ovn", None),
    ("kubeovn/kube-ovn@sha256:" + "a" * 64, None), ("", None),
])
def test_version_comes_from_the_image_tag(image, version):
    assert image_version(image) == version


def deployment(image, ready=1, args=()):
    container = {"name": "kube-ovn-controller", "image": image, "args": list(args)}
    return {"spec": {"replicas": 1, "template": {"spec": {"containers": [container]}}},
            "status": {"readyReplicas": ready}}


def facts(image="docker.io/kubeovn/kube-ovn:v1.14.0", ready=1, args=()):
    return controller_facts(deployment(image, ready, args), "kube-system", "kube-ovn-controller")


def test_auto_hands_the_gateway_to_kube_ovn_v114_with_its_crd():
    decision = decide("auto", facts(), crd_installed=True)
    assert decision["mode"] == "kube-ovn" and decision["warnings"] == []
    assert decision["reason"].startswith("kube-ovn-controller v1.14.0 is running (kube-system/kube-ovn-controller")


@pytest.mark.parametrize("controller, crd, warned", [
    (facts("kubeovn/kube-ovn:v1.13.8"), True, True),            # before v1.14: no VEG controller, but the GC
    (facts("kubeovn/kube-ovn:v1.12.0"), True, False),           # no gcSecurityGroup yet
    (facts("kubeovn/kube-ovn:v1.13.8", args=["--gc-interval=0"]), True, False),
    (facts("kubeovn/kube-ovn:v1.13.2", args=["--gc-interval=0"]), True, True),  # the switch came in v1.13.4
    (facts(ready=0), True, False),                              # not running
    (controller_facts(None, "kube-system", "kube-ovn-controller"), False, False),
    (facts(), False, True),                                     # v1.14 without the CRD acts on nothing
])
def test_auto_lets_the_collection_run_it_otherwise_and_warns_about_the_gc(controller, crd, warned):
    decision = decide("auto", controller, crd_installed=crd)
    assert decision["mode"] == "collection"
    assert bool(decision["warnings"]) is warned
    if warned:
        assert "gcSecurityGroup" in decision["warnings"][0] and "extensions/eda" in decision["warnings"][0]


def test_collection_where_kube_ovn_would_act_on_the_object_fails_in_one_line():
    with pytest.raises(EgressGatewayError) as err:
        decide("collection", facts(), crd_installed=True, writes_object=True)
    assert err.value.field == "egress_gateway_mode" and "\n" not in str(err.value)
    assert "both would write the gateway's Deployment and NB rows" in str(err.value)
    with pytest.raises(EgressGatewayError, match="the gateway's VpcEgressGateway object exists"):
        decide("collection", facts(), crd_installed=True, object_exists=True, writes_object=False)
    allowed = decide("collection", facts(), crd_installed=True, writes_object=False)
    assert allowed["mode"] == "collection" and allowed["warnings"]


@pytest.mark.parametrize("controller, crd", [
    (facts("kubeovn/kube-ovn:v1.13.8"), True), (facts(ready=0), True), (facts(), False),
])
def test_kube_ovn_mode_needs_a_running_v114_with_the_crd(controller, crd):
    with pytest.raises(EgressGatewayError, match="^egress_gateway_mode: Kube-OVN runs VpcEgressGateways only from v1.14.0"):
        decide("kube-ovn", controller, crd_installed=crd)


def test_an_unknown_version_is_not_guessed():
    with pytest.raises(EgressGatewayError, match="cannot tell the version of kube-ovn-controller from its image"):
        decide("auto", facts("kubeovn/kube-ovn:latest"), crd_installed=True)
    assert decide("kube-ovn", facts("kubeovn/kube-ovn:latest"), crd_installed=True)["mode"] == "kube-ovn"


def test_a_mode_that_does_not_exist_is_named():
    with pytest.raises(EgressGatewayError, match=r"^egress_gateway_mode: must be one of auto, kube-ovn, collection \(got 'kubeovn'\)$"):
        decide("kubeovn", facts(), crd_installed=True)
