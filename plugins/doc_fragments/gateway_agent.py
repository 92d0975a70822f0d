# -*- coding: utf-8 -*-
# Copyright: kubeovn.egress_gateway contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Options shared by the gateway agent modules (gateway_routing, gateway_nat, gateway_bfdd, gateway_snat_log);
DAEMON: the state of the agent's daemons (gateway_bfdd, gateway_snat_log)."""
from __future__ import annotations


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  netns:
    description:
      - Network namespace to configure, a name under C(/run/netns) or an absolute path such as
        C(/proc/1234/ns/net).
      - Omitted, the module configures the namespace it runs in (a gateway pod's init container).
      - A namespace that does not exist is an error; it is never created.
    type: str
requirements:
  - Linux, root or C(CAP_NET_ADMIN) (and C(CAP_SYS_ADMIN) to enter another namespace)
  - pyroute2 >= 0.9
attributes:
  check_mode:
    support: full
    description: Reads the namespace and reports what would change; writes nothing.
  diff_mode:
    support: full
    description: Shows the managed state before and after, in C(ip)/C(iptables) notation.
  platform:
    support: full
    platforms: posix
    description: Linux network namespaces.
"""

    DAEMON = r"""
options:
  state:
    description: V(present), V(absent) or V(restarted).
    type: str
    choices: [present, absent, restarted]
    default: present
"""
