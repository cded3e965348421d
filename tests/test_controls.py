"""Files a careful user writes that must be accepted, and what they mean."""
import json

from conftest import make_workspace, nk

GOOD = """name: Dr. A   # a comment
kind: pediatrician
met: "2026-01-05"          # quoted date
history:
  - {date: '2026-01-05', play: initial-meeting}
  - {date: 2026-01-12T09:30:15, play: resource-email, replied: true}
referrals:
  - client: J.M.
    received: 2026-02-01T10:30:00
    acknowledged: 2026-02-01 11:00
    family_contacted: "2026-02-01 12:00"
  - {client: JM, received: 2026-02-02}
  - {client: J., received: 2026-02-03}
"""


def _load(ws, now="2026-02-05"):
    r = nk("--now", now, "check", "--format", "json", cwd=ws)
    assert r.code in (0, 1), r.err
    return json.loads(r.out)


def test_comments_quotes_and_time_forms(tmp_path):
    ws = make_workspace(tmp_path, {"dr-a": GOOD})
    out = _load(ws)
    assert out["errors"] == []
    loops = {(x["client"], x["loop"]): x for x in out["loops"]}
    # moments with seconds are accepted; JSON shows them as YYYY-MM-DDTHH:MM
    assert ("J.M.", "acknowledge") not in loops
    assert loops[("JM", "acknowledge")]["received"] == "2026-02-02"


def test_bom_and_crlf(tmp_path):
    ws = make_workspace(tmp_path, {})
    text = "---\r\n" + GOOD.replace("\n", "\r\n") + "---\r\nNotes\r\n"
    (ws / "partners" / "dr-a.md").write_bytes(b"\xef\xbb\xbf" + text.encode())
    assert _load(ws)["errors"] == []


def test_body_may_contain_dashes(tmp_path):
    ws = make_workspace(tmp_path, {})
    (ws / "partners" / "dr-a.md").write_text("---\n" + GOOD + "---\nNotes\n\n---\n\nname: not yaml: [\n---\n")
    assert _load(ws)["errors"] == []


def test_files_starting_with_underscore_or_dot_are_ignored(tmp_path):
    ws = make_workspace(tmp_path, {"dr-a": GOOD})
    (ws / "partners" / "_draft.md").write_text("garbage: [")
    (ws / "partners" / ".dr-a.md.swp").write_text("garbage: [")
    (ws / "partners" / ".#dr-a.md").write_text("garbage: [")
    assert _load(ws)["errors"] == []


def test_phone_and_npi_given_as_numbers_are_accepted(tmp_path):
    ws = make_workspace(tmp_path, {"dr-a": "name: Dr. A\nkind: pcp\nphone: 5550142\nnpi: 1245319599\n"})
    assert _load(ws)["errors"] == []


def test_patient_data_in_notes_is_a_warning_not_an_error(tmp_path):
    ws = make_workspace(tmp_path, {})
    (ws / "partners" / "dr-a.md").write_text(
        "---\nname: Dr. A\nkind: pcp\n---\nSaw the Miller boy.\nHis DOB is 2019-04-02, diagnosed with F84.0.\n")
    out = _load(ws)
    assert out["errors"] == []
    w = [x for x in out["warnings"] if x["warning"] == "patient-data"]
    assert [(x["path"], x["line"]) for x in w] == [("partners/dr-a.md", 6)]
    assert "NK901" in w[0]["message"]


def test_missing_playbook_means_defaults(tmp_path):
    ws = make_workspace(tmp_path, {"dr-a": "name: Dr. A\nkind: pcp\nmet: 2026-01-05\n"}, playbook=None)
    r = nk("--now", "2026-01-06", "due", "--format", "json", cwd=ws)
    assert r.code == 0
    assert json.loads(r.out)["steps"][0]["play"] == "initial-meeting"


def test_playbook_merges_key_by_key(tmp_path):
    pb = "rotation:\n  standard_days: 10\nplays:\n  resource-email:\n    minutes: 25\n"
    ws = make_workspace(tmp_path, {"dr-a": "name: Dr. A\nkind: pcp\nmet: 2026-01-01\n"}, playbook=pb)
    out = json.loads(nk("--now", "2026-01-12", "due", "--format", "json", cwd=ws).out)
    step = out["steps"][0]
    assert (step["step"], step["start"], step["end"], step["play"]) == (2, "2026-01-11", "2026-01-21", "resource-email")
    r = nk("playbook", cwd=ws)
    assert "Resource Email" in r.out or "resource-email" in r.out
