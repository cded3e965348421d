"""The spec's worked example: check, due and metrics must match the expected JSON exactly."""
import json

from conftest import DATA, nk

EX = DATA / "spec-example"
NOW = (EX / "NOW").read_text().strip()
DATA_WARNINGS = {"cold", "burst-silence", "generic-only", "stale-referrer"}


def run(cmd):
    r = nk("--now", NOW, cmd, "--format", "json", cwd=EX / "workspace")
    return r.code, json.loads(r.out)


def test_check_matches():
    code, out = run("check")
    expected = json.loads((EX / "expected-check.json").read_text())
    assert code == 1 and out["errors"] == []
    assert out["now"] == expected["now"]
    strip = lambda rows: [{k: v for k, v in r.items() if k not in ("path", "line")} for r in rows]  # noqa: E731
    assert strip(out["loops"]) == expected["loops"]
    assert strip(out["tasks"]) == expected["tasks"]
    got_w = [{"partner": w["partner"], "warning": w["warning"]} for w in out["warnings"] if w["warning"] in DATA_WARNINGS]
    assert got_w == expected["warnings"]
    for row in out["loops"] + out["tasks"] + out["warnings"]:
        assert row["path"].startswith("partners/") and row["line"] >= 1


def test_due_matches():
    assert run("due") == (0, json.loads((EX / "expected-due.json").read_text()))


def test_metrics_matches():
    assert run("metrics") == (0, json.loads((EX / "expected-metrics.json").read_text()))


def test_loops_point_at_the_referral_line():
    _, out = run("check")
    loop = next(x for x in out["loops"] if x["partner"] == "dr-lee-1" and x["client"] == "L.R.")
    lines = (EX / "workspace" / loop["path"]).read_text().splitlines()
    assert lines[loop["line"] - 1].strip() == "- client: L.R."
