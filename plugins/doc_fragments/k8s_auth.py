# -*- coding: utf-8 -*-
# Copyright: kubeovn.egress_gateway contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Kubernetes API options of the modules that talk to the API server (kubernetes.core's AUTH_ARG_SPEC).

The modules take kubernetes.core's own argument spec, so module_defaults for
group/kubernetes.core.k8s apply to them too; this fragment documents it within this collection,
so the documentation builds where kubernetes.core is not installed (Galaxy's import check).
"""
from __future__ import annotations


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  kubeconfig:
    description:
      - Path of a kubeconfig file, or its content as a mapping. Without it (and without O(host)),
        C(~/.kube/config) or the in-cluster service account is used.
      - Also from the E(K8S_AUTH_KUBECONFIG) environment variable.
    type: raw
  context:
    description: The kubeconfig context to use (E(K8S_AUTH_CONTEXT)).
    type: str
  host:
    description: URL of the API server (E(K8S_AUTH_HOST)).
    type: str
  api_key:
    description: Bearer token for the API server (E(K8S_AUTH_API_KEY)).
    type: str
  username:
    description: User name for basic authentication (E(K8S_AUTH_USERNAME)).
    type: str
  password:
    description: Password for basic authentication (E(K8S_AUTH_PASSWORD)).
    type: str
  validate_certs:
    description: Whether the API server's certificate is checked (E(K8S_AUTH_VERIFY_SSL)).
    type: bool
    aliases: [verify_ssl]
  ca_cert:
    description: Path of the CA certificate that signed the API server's certificate (E(K8S_AUTH_SSL_CA_CERT)).
    type: path
    aliases: [ssl_ca_cert]
  client_cert:
    description: Path of a client certificate (E(K8S_AUTH_CERT_FILE)).
    type: path
    aliases: [cert_file]
  client_key:
    description: Path of the client certificate's key (E(K8S_AUTH_KEY_FILE)).
    type: path
    aliases: [key_file]
  proxy:
    description: URL of an HTTP proxy to the API server (E(K8S_AUTH_PROXY)); E(HTTP_PROXY) is not read.
    type: str
  no_proxy:
    description: Comma-separated hosts, domains or CIDRs reached without the proxy (E(K8S_AUTH_NO_PROXY)).
    type: str
  proxy_headers:
    description: Headers sent to the proxy.
    type: dict
    suboptions:
      proxy_basic_auth:
        description: C(user:password) for the proxy (E(K8S_AUTH_PROXY_HEADERS_PROXY_BASIC_AUTH)).
        type: str
      basic_auth:
        description: C(user:password) for basic authentication (E(K8S_AUTH_PROXY_HEADERS_BASIC_AUTH)).
        type: str
      user_agent:
        description: The User-Agent header (E(K8S_AUTH_PROXY_HEADERS_USER_AGENT)).
        type: str
  persist_config:
    description:
      - Write a refreshed token back to the kubeconfig file (E(K8S_AUTH_PERSIST_CONFIG)).
    type: bool
  impersonate_user:
    description: User to act as (E(K8S_AUTH_IMPERSONATE_USER)).
    type: str
  impersonate_groups:
    description: Groups to act as (E(K8S_AUTH_IMPERSONATE_GROUPS), comma-separated).
    type: list
    elements: str
requirements:
  - kubernetes (Python client) >= 24.2.0
  - the kubernetes.core collection
attributes:
  platform:
    support: full
    platforms: posix
    description: Any host that reaches the Kubernetes API server.
"""
