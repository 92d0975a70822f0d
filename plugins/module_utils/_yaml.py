# -*- coding: utf-8 -*-
# Copyright: kubeovn.egress_gateway contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The collection's YAML loader for manifest and spec text: PyYAML's SafeLoader, but

- a duplicate key in a mapping is an error (kubectl refuses it too; PyYAML keeps the last value,
  so ``bfd: {enabled: true, enabled: false}`` would silently mean ``false``);
- alias expansion is bounded: a document whose nodes, with every alias expanded, number more
  than ``MAX_NODES`` is refused before it is constructed (a 535-byte "billion laughs" text
  otherwise becomes a million leaves and a 16 MB task result);
- errors name the field and show a bounded excerpt of the text (``_common.shown``).

PRIVATE to the collection: not a public API.
"""
from __future__ import annotations

from ansible_collections.kubeovn.egress_gateway.plugins.module_utils._common import EgressGatewayError, shown

try:
    import yaml
    YAML_IMPORT_ERROR = None
except ImportError as exc:  # pragma: no cover - PyYAML ships with ansible-core
    yaml = None
    YAML_IMPORT_ERROR = exc

# A VpcEgressGateway has tens of nodes, the project's largest manifest (the CRDs) a few thousand.
MAX_NODES = 100000
MERGE_TAG = "tag:yaml.org,2002:merge"


def _expanded_size(node, memo, limit):
    """Nodes under ``node`` with aliases expanded (aliases share node objects: memoised by id)."""
    key = id(node)
    if key in memo:
        return memo[key]
    memo[key] = limit + 1  # a recursive alias (a node containing itself) never fits
    if isinstance(node, yaml.MappingNode):
        children = [child for pair in node.value for child in pair]
    elif isinstance(node, yaml.SequenceNode):
        children = node.value
    else:
        children = []
    size = 1
    for child in children:
        size += _expanded_size(child, memo, limit)
        if size > limit:
            break
    memo[key] = size
    return size


if yaml is not None:
    class _StrictLoader(yaml.SafeLoader):  # pylint: disable=too-many-ancestors
        """SafeLoader that refuses duplicate mapping keys (merge keys ``<<`` keep their meaning)."""

        def construct_mapping(self, node, deep=False):
            lines = {}
            for key_node, _value in node.value:
                if key_node.tag == MERGE_TAG:
                    continue
                key = self.construct_object(key_node, deep=True)
                line = key_node.start_mark.line + 1
                try:
                    if key in lines:
                        raise yaml.constructor.ConstructorError(
                            None, None, f"duplicate key {shown(key)} (first on line {lines[key]})",
                            key_node.start_mark)
                    lines[key] = line
                except TypeError:
                    continue  # an unhashable key: SafeConstructor reports it
            return super().construct_mapping(node, deep=deep)


def load(text, path):
    """One YAML document -> Python data; EgressGatewayError naming ``path`` when it is not valid,
    has a duplicate key or expands beyond MAX_NODES nodes."""
    documents = _load(text, path, single=True)
    return documents[0] if documents else None


def load_all(text, path):
    """Every YAML document of ``text`` (a multi-document manifest), with the same rules as ``load``."""
    return _load(text, path, single=False)


def _load(text, path, single):
    """``path`` "" leaves the field out of messages (a caller that names the source itself)."""
    prefix = f"{path}: " if path else ""
    if yaml is None:
        raise EgressGatewayError(f"the python 'yaml' library is required: {YAML_IMPORT_ERROR}")
    if not isinstance(text, str):
        raise EgressGatewayError(f"{prefix}must be YAML text (got {shown(text)})", field=path or None, value=text)
    loader = _StrictLoader(text)
    try:
        nodes = [loader.get_single_node()] if single else []
        while not single and loader.check_node():
            nodes.append(loader.get_node())
        nodes = [node for node in nodes if node is not None]
        memo = {}
        if sum(_expanded_size(node, memo, MAX_NODES) for node in nodes) > MAX_NODES:
            raise EgressGatewayError(f"{prefix}expands to more than {MAX_NODES} YAML nodes (aliases nested "
                                     f"in aliases); refused (got {shown(text)})", field=path or None, value=text)
        return [loader.construct_document(node) for node in nodes]
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
        problem = where + (getattr(exc, "problem", None) or " ".join(str(exc).split()))
        raise EgressGatewayError(f"{prefix}is not valid YAML: {problem} (got {shown(text)})", field=path,
                                 value=text) from exc
    except RecursionError as exc:
        raise EgressGatewayError(f"{prefix}is nested too deeply (got {shown(text)})", field=path or None, value=text) from exc
    finally:
        loader.dispose()
