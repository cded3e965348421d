"""The shipped demo workspace: valid, and its check/due/metrics pinned as golden files."""
import json

import pytest

from conftest import DEMO_NOW, golden, nk


@pytest.mark.parametrize("cmd", ["check", "due", "metrics"])
@pytest.mark.parametrize("fmt", ["text", "json"])
def test_demo_outputs_are_pinned(demo, cmd, fmt, update_golden):
    r = nk("--now", DEMO_NOW, cmd, "--format", fmt, cwd=demo)
    assert r.code == (1 if cmd == "check" else 0), r.err
    golden(f"demo-{cmd}.{'json' if fmt == 'json' else 'txt'}", r.out, update_golden)


def test_demo_shows_every_loop_task_and_warning_kind(demo):
    out = json.loads(nk("--now", DEMO_NOW, "check", "--format", "json", cwd=demo).out)
    assert out["errors"] == []
    assert {x["loop"] for x in out["loops"]} == {"acknowledge", "contact-family", "close-loop",
                                                "bounce-referrer", "bounce-receiver"}
    assert {x["task"] for x in out["tasks"]} == {"care-update", "next-step", "thank-you"}
    assert {x["warning"] for x in out["warnings"]} >= {"cold", "burst-silence", "generic-only", "stale-referrer",
                                                      "salesy", "openings-stale", "prospect-idle", "gift-cap",
                                                      "duplicate-npi"}


def test_github_annotations_point_at_the_referral(demo):
    r = nk("--now", DEMO_NOW, "check", "--format", "github", cwd=demo)
    assert r.code == 1
    ack = next(line for line in r.out.splitlines() if "acknowledge" in line and line.startswith("::error"))
    assert ack.startswith("::error file=partners/dr-marcus-lee.md,line=34,")
    lines = (demo / "partners" / "dr-marcus-lee.md").read_text().splitlines()
    assert lines[33].strip() == "- client: K.W."


def test_validate_only(demo):
    r = nk("--now", DEMO_NOW, "validate", cwd=demo)
    assert r.code == 0 and "14 partner files" in r.out


def test_broken_demo_file_exits_2_without_traceback(demo):
    p = demo / "partners" / "dr-priya-shah.md"
    p.write_text(p.read_text().replace("received: 2026-04-14 10:30", "received: 14/04/2026"))
    r = nk("--now", DEMO_NOW, "check", cwd=demo)
    assert r.code == 2 and "Traceback" not in r.err
    assert r.err.startswith("partners/dr-priya-shah.md:55:15: error NK103 referrals[1].received: expected a date")


@pytest.mark.parametrize("args", [["--now", "someday", "check"], ["check", "--format", "xml"], ["frobnicate"],
                                  ["--now", "2026-02-30", "due"]])
def test_usage_errors_exit_2(demo, args):
    r = nk(*args, cwd=demo)
    assert r.code == 2 and "Traceback" not in r.err and r.err.strip()


def test_now_from_environment(demo, monkeypatch):
    monkeypatch.setenv("NURTUREKIT_NOW", "2026-12-03T09:00")
    assert json.loads(nk("check", "--format", "json", cwd=demo).out)["now"] == "2026-12-03T09:00"
