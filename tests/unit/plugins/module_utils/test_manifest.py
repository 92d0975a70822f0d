# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Where a manifest comes from: variable or file, one document or several, one-line errors."""
from __future__ import annotations

import pytest
import yaml

from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._common import EgressGatewayError
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._manifest import (
    label_selector_strings, load)

GATEWAY = {"apiVersion": "kubeovn.io/v1", "kind": "VpcEgressGateway",
           "metadata": {"name": "gateway1", "namespace": "default"},
           "spec": {"externalSubnet": "macvlan1", "policies": [{"snat": True, "ipBlocks": ["10.18.0.0/16"]}]}}
NAD = {"apiVersion": "k8s.cni.cncf.io/v1", "kind": "NetworkAttachmentDefinition", "metadata": {"name": "eth1"}}


def error_of(**kwargs):
    with pytest.raises(EgressGatewayError) as caught:
        load(**kwargs)
    return str(caught.value)


def test_relative_file_from_the_search_path(tmp_path):
    (tmp_path / "gateway1.yaml").write_text(yaml.safe_dump(GATEWAY))
    loaded = load(manifest_file="gateway1.yaml", search=[str(tmp_path / "elsewhere"), str(tmp_path)])
    assert loaded["names"]["key"] == "default/gateway1" and loaded["source"] == "gateway1.yaml"
    assert loaded["gateway"]["spec"]["replicas"] == 1 and "replicas" not in loaded["given"]["spec"]


def test_several_documents_as_kubectl_reads_them(tmp_path):
    text = "---\n" + yaml.safe_dump(NAD) + "---\n" + yaml.safe_dump(GATEWAY) + "---\n"
    (tmp_path / "all.yaml").write_text(text)
    loaded = load(manifest_file="all.yaml", search=[str(tmp_path)])
    assert loaded["given"] == GATEWAY and loaded["source"] == "all.yaml (document 2 of 2)"
    bad = yaml.safe_dump({**GATEWAY, "spec": {**GATEWAY["spec"], "replicas": 11}})
    (tmp_path / "bad.yaml").write_text(yaml.safe_dump(NAD) + "---\n" + bad)
    assert error_of(manifest_file="bad.yaml", search=[str(tmp_path)]) == (
        "bad.yaml (document 2 of 2): spec.replicas: must be between 0 and 10 (got 11)")


@pytest.mark.parametrize("given, expected", [
    ({}, "give the VpcEgressGateway as m (YAML text or a mapping) or as f (a path), exactly one of them (got neither)"),
    ({"manifest": "x: 1", "manifest_file": "a.yaml"}, "exactly one of them (got both)"),
    ({"manifest_file": "missing.yaml"}, "f: no such file (looked in /nowhere) (got 'missing.yaml')"),
    ({"manifest": "a: [1"}, "m: is not valid YAML: line 1, column 6: expected ',' or ']'"),
    ({"manifest": yaml.safe_dump(NAD) + "---\n" + yaml.safe_dump(NAD)}, "m: has 0 VpcEgressGateway documents"),
    ({"manifest": yaml.safe_dump(GATEWAY) + "---\n" + yaml.safe_dump(GATEWAY)}, "m: has 2 VpcEgressGateway documents"),
    ({"manifest": yaml.safe_dump(NAD) + "---\n- 1\n"}, "m: document 2 of 2: kind: is required"),
    ({"manifest": {**GATEWAY, "kind": "Subnet"}}, "m: kind: must be VpcEgressGateway (got 'Subnet')"),
    ({"manifest": GATEWAY, "replicas": "11"}, "egress_gateway_replicas: must be between 0 and 10 (got 11)"),
])
def test_one_line_errors(given, expected):
    message = error_of(search=["/nowhere"], manifest_var="m", file_var="f", replicas_var="egress_gateway_replicas",
                       **given)
    assert expected in message and "\n" not in message


def test_identity_needs_name_and_namespace_only():
    loaded = load(manifest={"metadata": {"name": "gateway1", "namespace": "ns1"}, "spec": {"replicas": 99}},
                  identity=True)
    assert loaded["names"]["key"] == "ns1/gateway1"
    assert "name: is required" in error_of(manifest={"metadata": {"namespace": "ns1"}}, identity=True)


def test_replicas_replace_the_manifest_s():
    assert load(manifest=GATEWAY, replicas="3")["gateway"]["spec"]["replicas"] == 3


def test_label_selector_strings():
    assert label_selector_strings(None) == [] and label_selector_strings({}) == []
    assert label_selector_strings({"matchLabels": {"b": "2", "a": "1"}, "matchExpressions": [
        {"key": "x", "operator": "In", "values": ["1", "2"]}, {"key": "y", "operator": "NotIn", "values": ["3"]},
        {"key": "z", "operator": "Exists"}, {"key": "w", "operator": "DoesNotExist"}]}) == [
        "a=1", "b=2", "x in (1,2)", "y notin (3)", "z", "!w"]
