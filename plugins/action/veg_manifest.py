# -*- coding: utf-8 -*-
# Copyright: kubeovn.egress_gateway contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action of kubeovn.egress_gateway.veg_manifest: runs on the controller, where the user's files are."""
from __future__ import annotations

import os

from ansible.plugins.action import ActionBase

from ansible_collections.kubeovn.egress_gateway.plugins.module_utils import _manifest
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._common import EgressGatewayError


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False
    _VALID_ARGS = frozenset(("manifest", "manifest_file", "search_paths", "manifest_var", "file_var", "identity",
                             "replicas", "replicas_var", "kube_ovn_version", "kube_ovn_version_var"))

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        args = self._task.args
        # Relative paths are the user's: from the directory ansible-playbook runs in (never the
        # collection's or the playbook's folder), then the folders the caller adds.
        search = [os.getcwd(), *(args.get("search_paths") or [])]
        try:
            loaded = _manifest.load(args.get("manifest"), args.get("manifest_file"), search,
                                    manifest_var=args.get("manifest_var") or "manifest",
                                    file_var=args.get("file_var") or "manifest_file",
                                    identity=bool(args.get("identity")), replicas=args.get("replicas"),
                                    replicas_var=args.get("replicas_var") or "replicas",
                                    kube_ovn_version=args.get("kube_ovn_version"),
                                    kube_ovn_version_var=args.get("kube_ovn_version_var") or "kube_ovn_version")
        except EgressGatewayError as exc:
            return {**result, "failed": True, "msg": str(exc)}
        return {**result, "changed": False, **loaded}
