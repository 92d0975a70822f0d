# -*- coding: utf-8 -*-
# Copyright: kubeovn.egress_gateway contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Where a user's VpcEgressGateway comes from: a variable or a file, one document or many.

PRIVATE to the collection: not a public API. Used by the ``veg_manifest`` action (the first step
of every playbook and role that takes a manifest). Every error is one line that starts with the
source (the file, or the variable name) and then says what the model says: ``FIELD: problem
(got VALUE)``.
"""
from __future__ import annotations

import os

from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._common import EgressGatewayError
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._crd import (
    check_kube_ovn_version, parse_gateway, parse_identity,
)
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._yaml import load_all
from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._gateway import KIND


def resolve_path(path: str, search: list[str]) -> str:
    """An absolute path as given; a relative one from the first of ``search`` that has it."""
    if os.path.isabs(path):
        candidates = [path]
    else:
        candidates = [os.path.join(base, path) for base in search if base]
    for candidate in candidates:
        if os.path.isfile(candidate):
            return candidate
    looked = ", ".join(os.path.dirname(c) or "." for c in candidates) or "nowhere"
    raise EgressGatewayError(f"no such file (looked in {looked})", value=path)


def _load_documents(text: str) -> list:
    """Every document; duplicate keys and alias bombs refused (_yaml, the collection's loader)."""
    return load_all(text, "")


def gateway_document(given):
    """The VpcEgressGateway in ``given`` (a mapping, or YAML text of one or more documents) as
    ``kubectl apply -f`` reads it: empty documents are skipped, the one of kind VpcEgressGateway
    is taken. Returns ``(document, label)``, label being "" or "document N of M"."""
    if not isinstance(given, str):
        return given, ""
    documents = [d for d in _load_documents(given) if d is not None]
    if len(documents) <= 1:
        return (documents[0] if documents else None), ""
    total = len(documents)
    found = []
    for index, document in enumerate(documents, 1):
        if not isinstance(document, dict) or not document.get("kind"):
            raise EgressGatewayError(f"document {index} of {total}: kind: is required in a file of several "
                                     f"documents (got {type(document).__name__ if not isinstance(document, dict) else None!r})")
        if document["kind"] == KIND:
            found.append(index)
    if len(found) != 1:
        kinds = ", ".join(f"{i}: {d['kind']}" for i, d in enumerate(documents, 1))
        raise EgressGatewayError(f"has {len(found)} {KIND} documents, needs exactly one (got {kinds})")
    return documents[found[0] - 1], f"document {found[0]} of {total}"


def load(manifest=None, manifest_file=None, search=(), manifest_var="manifest", file_var="manifest_file",
         identity=False, replicas=None, replicas_var="replicas", kube_ovn_version=None,
         kube_ovn_version_var="kube_ovn_version") -> dict:
    """The gateway of a variable (mapping or text) or of a file (path, relative to ``search``).

    ``identity``: only metadata.name/namespace matter (removal); the spec is not validated.
    ``replicas``: replaces spec.replicas (``kubectl scale``); its errors name ``replicas_var``.
    ``kube_ovn_version``: the Kube-OVN release whose controller runs the gateway (e.g. v1.15.5);
    a field newer than it is an error naming the field and the release it needs. Empty: no check.
    Returns ``{"gateway": <object with CRD defaults>, "names": {...}, "given": <the document>,
    "source": <where it came from>}``.
    """
    if bool(manifest) == bool(manifest_file):
        raise EgressGatewayError(f"give the VpcEgressGateway as {manifest_var} (YAML text or a mapping) or as "
                                 f"{file_var} (a path), exactly one of them (got "
                                 f"{'both' if manifest else 'neither'})")
    if manifest_file:
        try:
            path = resolve_path(str(manifest_file), list(search))
        except EgressGatewayError as exc:
            raise EgressGatewayError(f"{file_var}: {exc} (got {manifest_file!r})") from exc
        source = str(manifest_file)
        try:
            with open(path, encoding="utf-8") as handle:
                given = handle.read()
        except (OSError, UnicodeDecodeError) as exc:
            raise EgressGatewayError(f"{source}: cannot be read: {exc.strerror if isinstance(exc, OSError) else exc}") from exc
    else:
        source, given = manifest_var, manifest
    try:
        document, label = gateway_document(given)
    except EgressGatewayError as exc:
        raise EgressGatewayError(f"{source}: {exc}") from exc
    where = f"{source} ({label})" if label else source
    if replicas not in (None, ""):
        document = _with_replicas(document, replicas, replicas_var)
    try:
        gateway = _identity(document) if identity else parse_gateway(document)
    except EgressGatewayError as exc:
        if replicas not in (None, "") and exc.field == "spec.replicas":
            raise EgressGatewayError(f"{replicas_var}: {str(exc).split(': ', 1)[1]}", field=replicas_var,
                                     value=replicas) from exc
        raise EgressGatewayError(f"{where}: {exc}", field=exc.field, value=exc.value) from exc
    if kube_ovn_version not in (None, "") and not identity:
        try:
            check_kube_ovn_version(document, kube_ovn_version)
        except EgressGatewayError as exc:
            if exc.field == "kube_ovn_version":
                raise EgressGatewayError(f"{kube_ovn_version_var}: {str(exc).split(': ', 1)[1]}",
                                         field=kube_ovn_version_var, value=kube_ovn_version) from exc
            raise EgressGatewayError(f"{where}: {exc}", field=exc.field, value=exc.value) from exc
    manifest = gateway.to_manifest()
    return {"gateway": manifest, "names": gateway.names(), "given": document, "source": where,
            "selector_queries": [selector_query(s) for s in manifest["spec"]["selectors"]]}


def _identity(document):
    """The whole gateway when it is valid, else its name and namespace only (from metadata, or a
    bare spec's name/namespace keys): removing a gateway needs nothing more."""
    try:
        return parse_gateway(document)
    except EgressGatewayError:
        pass
    if not isinstance(document, dict):
        raise EgressGatewayError(f"must be a mapping (got {document!r})", value=document)
    metadata = document.get("metadata") if "metadata" in document else document
    if not isinstance(metadata, dict):
        raise EgressGatewayError(f"metadata: must be a mapping (got {metadata!r})", field="metadata", value=metadata)
    return parse_identity(metadata.get("namespace"), metadata.get("name"))


def _with_replicas(document, replicas, replicas_var):
    """A copy of the document with spec.replicas replaced (a digit string counts as a number)."""
    if isinstance(replicas, str) and replicas.strip().isdigit():
        replicas = int(replicas)
    if not isinstance(document, dict):
        return document
    if "spec" in document or "kind" in document or "metadata" in document:
        return {**document, "spec": {**(document.get("spec") or {}), "replicas": replicas}}
    return {**document, "replicas": replicas}


_OPERATORS = {"In": "{key} in ({values})", "NotIn": "{key} notin ({values})", "Exists": "{key}",
              "DoesNotExist": "!{key}"}


def label_selector_strings(selector: dict | None) -> list[str]:
    """A LabelSelector (matchLabels/matchExpressions) as the API's label selector strings, one per
    requirement (an API list call ANDs them); None or {} selects everything: []."""
    selector = selector or {}
    strings = [f"{key}={value}" for key, value in sorted((selector.get("matchLabels") or {}).items())]
    for requirement in selector.get("matchExpressions") or []:
        strings.append(_OPERATORS[requirement["operator"]].format(
            key=requirement["key"], values=",".join(requirement.get("values") or [])))
    return strings


def selector_query(selector: dict) -> dict:
    """What to list for one of spec.selectors: the namespaces and the pods (in any namespace)
    its two label selectors can match; the model then matches them exactly."""
    return {"namespace": label_selector_strings(selector.get("namespaceSelector")),
            "pod": label_selector_strings(selector.get("podSelector"))}
