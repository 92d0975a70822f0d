"""The ``world`` of the rulebook tests: one NB, the external subnet, two nodes and ansible-rulebook
running the collection's rulebook (module scope: one rulebook per test module)."""
from __future__ import annotations

import pytest
from eda_world import running_world


@pytest.fixture(scope="module")
def world(kube_cluster, tmp_path_factory):
    """The rulebook keeping deployed gateways' rows exact (the objects are not managed)."""
    with running_world(kube_cluster, tmp_path_factory.mktemp("eda")) as running:
        yield running
