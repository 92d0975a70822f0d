"""The event source's own arguments, checked when it starts (before any connection)."""
from __future__ import annotations

import importlib.util

import pytest

from support.ansible import REPO

SOURCE = REPO / "extensions" / "eda" / "plugins" / "event_source" / "gateway_events.py"


def source():
    spec = importlib.util.spec_from_file_location("gateway_events", SOURCE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("value, seconds", [(None, 300), ("", 300), (3, 3), ("3", 3), (60.0, 60)])
def test_watch_seconds(value, seconds):
    assert source().watch_seconds(value) == seconds


@pytest.mark.parametrize("value", [0, 0.5, "soon", -3, 2.5])
def test_watch_seconds_refused(value):
    with pytest.raises(ValueError, match=f"watch_seconds must be a whole number of seconds, 1 or more \\(got {value!r}\\)"):
        source().watch_seconds(value)
