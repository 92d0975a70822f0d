# -*- coding: utf-8 -*-
# Copyright: kubeovn.egress_gateway contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Connection options shared by every OVN Northbound module (ovn_*)."""
from __future__ import annotations


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  connection:
    description:
      - The OVN Northbound database, as C(unix:PATH), C(tcp:IP:PORT) or C(ssl:IP:PORT).
      - A comma-separated list of remotes names the members of a clustered (RAFT) database; the
        module finds the leader and writes there, and follows a leader change.
    type: str
    default: unix:/var/run/ovn/ovnnb_db.sock
  timeout:
    description:
      - Seconds to wait for the database, both to connect and read and to commit.
      - A timeout fails the task with a message naming the remote; nothing is half-written
        (every change is one transaction).
    type: int
    default: 30
  private_key:
    description:
      - Path of the client's private key (PEM), for C(ssl:) remotes.
      - Never shown in the task's output or logs.
    type: path
  certificate:
    description:
      - Path of the client's certificate (PEM), for C(ssl:) remotes.
    type: path
  ca_cert:
    description:
      - Path of the CA certificate (PEM) that signed the server's certificate, for C(ssl:) remotes.
    type: path
requirements:
  - python-ovs (C(ovs) on PyPI) >= 2.17
attributes:
  check_mode:
    support: full
    description: Reads the database and reports what would change (and the diff); writes nothing.
  diff_mode:
    support: full
    description: Shows each changed row before and after, keyed by a readable row label.
  platform:
    support: full
    platforms: posix
    description: Any host that reaches the OVN Northbound database.
notes:
  - Only the tables and columns the module needs are read from the database (a Northbound
    database of a large cluster holds tens of thousands of ports).
  - Every change of a task is written in one OVSDB transaction. A conflicting concurrent change
    or a leader change makes the module read again, plan again and write again.
"""

    EXTERNAL_IDS = r"""
options:
  external_ids:
    description:
      - Keys and values for the row's C(external_ids) column.
      - How they combine with what is there is set by O(external_ids_mode).
    type: dict
  external_ids_mode:
    description:
      - V(merge) sets the given keys and keeps every other key of the row (other tools' keys
        survive). V(replace) makes the column exactly O(external_ids).
    type: str
    choices: [merge, replace]
    default: merge
"""
