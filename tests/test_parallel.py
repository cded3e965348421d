"""Both cores for a cold run: the answer must be the same as in one process, whatever happens."""
import os
from datetime import datetime

import pytest

from nurturekit import parallel
from nurturekit.build import build

NOW = datetime(2026, 12, 3, 9, 0)


@pytest.fixture
def forking(monkeypatch):
    if not hasattr(os, "fork"):
        pytest.skip("no fork on this platform")
    monkeypatch.setattr(parallel, "MIN_ITEMS", 0)
    monkeypatch.setattr(parallel, "_enabled", True)
    monkeypatch.setattr(os, "cpu_count", lambda: 2)


def test_two_processes_build_the_same_site_as_one(demo, tmp_path, forking, monkeypatch):
    two = build(demo, tmp_path / "two", NOW)
    assert two.written is not None and two.pages
    monkeypatch.setattr(parallel, "_enabled", False)
    one = build(demo, tmp_path / "one", NOW)
    assert list(sorted(two.pages)) == list(sorted(one.pages))
    assert two.pages == one.pages
    assert two.diagnostics == one.diagnostics


def test_two_processes_report_the_same_errors(demo, tmp_path, forking, monkeypatch):
    for name in ("dr-marcus-lee", "maple-elementary"):
        p = demo / "partners" / f"{name}.md"
        p.write_text(p.read_text().replace("kind:", "knd:", 1))
    two = build(demo, tmp_path / "two", NOW)
    monkeypatch.setattr(parallel, "_enabled", False)
    one = build(demo, tmp_path / "one", NOW)
    assert two.written is None and not (tmp_path / "two").exists()
    assert [str(d) for d in two.diagnostics] == [str(d) for d in one.diagnostics]
    assert sum(d.code == "NK101" for d in two.diagnostics) == 2


def test_the_other_half_runs_in_a_child_and_a_failed_child_is_redone_here(forking):
    me = os.getpid()
    here, there = parallel.both(os.getpid, os.getpid, 1)
    assert here == me and there != me
    # a child that dies without a word: the work is done again in this process
    here, there = parallel.both(lambda: "a", lambda: os._exit(3) if os.getpid() != me else "b", 1)
    assert (here, there) == ("a", "b")


def test_small_workspaces_and_serve_stay_in_one_process(monkeypatch):
    monkeypatch.setattr(parallel, "_enabled", True)
    me = os.getpid()
    assert parallel.both(os.getpid, os.getpid, parallel.MIN_ITEMS - 1) == (me, me)
    from nurturekit.serve import Builder
    Builder(".", "/nonexistent", lambda: NOW, log=lambda m: None)
    assert not parallel.worth_it(10_000)
