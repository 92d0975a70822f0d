#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: kubeovn.egress_gateway contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# Documentation only: the work is done by the action plugin of the same name, on the controller.
from __future__ import annotations

DOCUMENTATION = r"""
module: veg_manifest
short_description: Read and validate a VpcEgressGateway manifest, failing with one line
description:
  - Reads a C(VpcEgressGateway) from a variable (YAML text or a mapping) or from a file, and
    validates it with the collection's spec model (what the CRD's schema cannot check, too).
  - A file of several YAML documents (C(---)) is read as C(kubectl apply -f) reads it - empty
    documents are skipped, and the one document of kind C(VpcEgressGateway) is taken; the
    NetworkAttachmentDefinition and Subnet beside it are left alone.
  - A relative O(manifest_file) is looked up in the directory C(ansible-playbook) runs in, then in
    O(search_paths).
  - "An invalid manifest fails the task with one line, C(SOURCE: FIELD: problem (got VALUE)),
    SOURCE being the file (with the document's index in a file of several) or the variable."
  - Runs on the controller and reads or writes nothing else.
version_added: 0.2.0
author: kubeovn.egress_gateway contributors (@kubeovn)
extends_documentation_fragment:
  - kubeovn.egress_gateway.controller
  - kubeovn.egress_gateway.read_only
options:
  manifest:
    description: The VpcEgressGateway as YAML text or a mapping. Exactly one of O(manifest) and O(manifest_file).
    type: raw
  manifest_file:
    description: Path of a YAML file holding the VpcEgressGateway.
    type: str
  search_paths:
    description: Further directories a relative O(manifest_file) is looked up in, after the current directory.
    type: list
    elements: str
    default: []
  manifest_var:
    description: The name the user gave O(manifest) under, for the messages.
    type: str
    default: manifest
  file_var:
    description: The name the user gave O(manifest_file) under, for the messages.
    type: str
    default: manifest_file
  identity:
    description:
      - Only the gateway's name and namespace are needed (removing it) - an invalid or missing
        C(spec) is not an error then; a valid one is still returned in full.
    type: bool
    default: false
  replicas:
    description: Replaces C(spec.replicas) (what C(kubectl scale) does); empty - as in the manifest.
    type: raw
  replicas_var:
    description: The name the user gave O(replicas) under, for the messages.
    type: str
    default: replicas
  kube_ovn_version:
    description:
      - >-
        The Kube-OVN release whose controller runs the gateway (C(v1.15.5); what
        M(kubeovn.egress_gateway.kube_ovn_info) reports as C(controller.version_text)). A field
        newer than it fails, naming the field and the release it needs (C(spec.resources: needs
        Kube-OVN v1.15.5 or later; the cluster runs v1.14.10)). Empty - no check.
    type: str
  kube_ovn_version_var:
    description: The name the user gave O(kube_ovn_version) under, for the messages.
    type: str
    default: kube_ovn_version
"""

EXAMPLES = r"""
- name: Read the gateway of the file the user named
  kubeovn.egress_gateway.veg_manifest:
    manifest_file: "{{ egress_gateway_manifest_file }}"
    file_var: egress_gateway_manifest_file
  register: gateway

- name: Show its Deployment's name
  ansible.builtin.debug:
    msg: "{{ gateway.names.deployment_name }}"
"""

RETURN = r"""
gateway:
  description: The VpcEgressGateway with every CRD default applied (what C(kubeovn.egress_gateway.veg_spec) returns).
  returned: success
  type: dict
names:
  description: The names derived from it (what C(kubeovn.egress_gateway.veg_names) returns).
  returned: success
  type: dict
  sample: {key: default/gateway1, hash: 8ca38ae7da18, port_group: VEG.8ca38ae7da18, deployment_name: gateway1}
given:
  description: The document as given (no defaults added).
  returned: success
  type: raw
source:
  description: Where it was read from - the file (and document) or the variable name.
  returned: success
  type: str
  sample: gateway1.yaml (document 3 of 3)
"""
