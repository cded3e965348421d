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


def files(folder):
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_two_processes_build_the_same_site_as_one(demo, tmp_path, forking, monkeypatch):
    two = build(demo, tmp_path / "two", NOW)
    assert two.written is not None and len(two.files) > 50
    monkeypatch.setattr(parallel, "_enabled", False)
    one = build(demo, tmp_path / "one", NOW)
    assert two.files == one.files
    assert files(tmp_path / "two") == files(tmp_path / "one")
    assert two.written.written == one.written.written and two.diagnostics == one.diagnostics
    # a second build of the same site in two processes rewrites nothing
    monkeypatch.setattr(parallel, "_enabled", True)
    again = build(demo, tmp_path / "two", NOW)
    assert again.written.written == () and again.written.unchanged == len(one.files)


def test_a_template_error_in_the_other_half_writes_nothing_at_all(demo, tmp_path, forking):
    # the reviews are rendered by the child: break their template
    (demo / "templates").mkdir(exist_ok=True)
    (demo / "templates" / "review-month.html.j2").write_text("<p>{{ no_such_thing }}</p>\n")
    result = build(demo, tmp_path / "site", NOW)
    assert result.written is None and not (tmp_path / "site").exists()
    assert [d.code for d in result.diagnostics if d.severity == "error"] == ["NK402"]


def test_a_child_that_dies_while_writing_is_finished_here(demo, tmp_path, forking, monkeypatch):
    import nurturekit.build as B
    me = os.getpid()
    real = B.write_files

    def dying(pages, out):
        if os.getpid() != me:
            os._exit(9)
        return real(pages, out)
    monkeypatch.setattr(B, "write_files", dying)
    two = build(demo, tmp_path / "two", NOW)
    monkeypatch.setattr(parallel, "_enabled", False)
    one = build(demo, tmp_path / "one", NOW)
    assert files(tmp_path / "two") == files(tmp_path / "one")


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


def test_the_other_half_writing_first_does_not_fail_the_build(tmp_path, monkeypatch):
    """With two processes the other half may write its first files before this one looks at
    the output folder: those files must not be taken for someone else's (it once failed a
    build into a new folder, now and then, with 'not made by nurturekit')."""
    import shutil
    from nurturekit import build as B
    from conftest import REPO
    ws = tmp_path / "ws"
    ws.mkdir()
    shutil.copy(REPO / "playbook.yaml", ws / "playbook.yaml")
    shutil.copytree(REPO / "partners", ws / "partners")
    real_go = B.Other.go

    def eager_go(self, proceed):   # the other half wins the race: it writes as soon as it may
        real_go(self, proceed)
        if proceed:
            value = self._finish(self._local())
            self.result = lambda: value
    monkeypatch.setattr(B.Other, "go", eager_go)
    out = tmp_path / "site"
    out.mkdir()
    result = B.build(ws, out, NOW)
    assert result.written is not None and (out / ".nurturekit-site").is_file()
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()) == \
        sorted(list(result.files) + [".nurturekit-site"])
