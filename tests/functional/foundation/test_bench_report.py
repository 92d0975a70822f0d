"""hack/bench_report.py: docs/benchmarks.md is put together from the files the benchmarks wrote
(build/bench/<section>.md verbatim, its plot copied) and each script's docstring, keeps the
sections not re-run from the previous page, and says which sections have no results at all."""
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


def test_sections_not_rerun_keep_their_block_of_the_previous_page(tmp_path):
    report = load()
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    (first / "failover.md").write_text("| failover | 0.5 s |\n")
    (first / "kube.md").write_text("| kube | 9.8 MiB |\n")
    old_page = report.render(first, tmp_path / "img", "img/")
    (second / "kube.md").write_text("| kube | 10.1 MiB |\n")   # only kube re-run, elsewhere
    page = report.render(second, tmp_path / "img", "img/", previous=old_page)
    assert "| failover | 0.5 s |" in page and "| kube | 10.1 MiB |" in page and "9.8 MiB" not in page
    assert page.count(report.heading("failover")) == 1 and page.count(report.heading("kube")) == 1
    assert page.index(report.heading("failover")) < page.index(report.heading("kube"))   # the scripts' order
    assert "`failover`" not in page.split("## Not in this page", 1)[1]
