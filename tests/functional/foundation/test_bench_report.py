"""hack/bench_report.py: docs/benchmarks.md is put together from the files the benchmarks wrote
(build/bench/<section>.md verbatim, its plot copied) and each script's docstring, and says which
sections have no results."""
from __future__ import annotations

import pathlib

from support import hack_script

REPO = pathlib.Path(__file__).resolve().parents[3]


def load():
    return hack_script("bench_report")


def test_the_page_holds_what_the_benchmarks_wrote(tmp_path):
    report = load()
    results = tmp_path / "bench"
    results.mkdir()
    table = "| what | figure |\n|---|---|\n| a run | 0.123 s |\n"
    (results / "failover.md").write_text(table)
    (results / "failover.png").write_bytes(b"\x89PNG plot")
    (results / "kube.md").write_text("## 2 pods\n| pod | 9.8 MiB |\n")
    page = report.render(results, tmp_path / "img", "img/")
    body = report.docstring(REPO / "tests" / "bench" / "bench_failover.py")
    assert f"## {report.TITLES['failover']} (`bash hack/bench.sh failover`)" in page
    assert body.splitlines()[0] in page and "python tests/bench/" not in page
    assert table.rstrip() in page and "### 2 pods\n| pod | 9.8 MiB |" in page
    assert (tmp_path / "img" / "failover.png").read_bytes() == b"\x89PNG plot"
    assert "![failover](img/failover.png)" in page and "![kube]" not in page
    scripts = {p.stem.removeprefix("bench_") for p in (REPO / "tests" / "bench").glob("bench_*.py")}
    for section in scripts - {"failover", "kube"}:
        assert f"`{section}`" in page.split("## Not in this page", 1)[1]
