"""The bad-input corpus: every case names the (path, code, line, col) a user is pointed at."""
import pytest

from conftest import golden, make_workspace, nk

OK = "name: Dr. B\nkind: pcp\n"   # a second valid partner to refer to


def partner(body):
    return "---\n" + body + "---\nNotes.\n"


BASE = "name: Dr. A\nkind: pediatrician\nmet: 2026-01-05\n"

# (case id, partner text for dr-a, expected (code, line, col) in partners/dr-a.md)
CASES = [
    ("no-front-matter", "name: Dr. A\n", ("NK002", 1, 1)),
    ("unclosed", "---\nname: Dr. A\nkind: pcp\n", ("NK003", 1, 1)),
    ("yaml-syntax", partner("name: [Dr. A\nkind: pcp\n"), ("NK004", 3, 5)),
    ("tab-indent", partner("name: Dr. A\nkind: pcp\nanswers:\n\tserve: kids\n"), ("NK004", 5, 1)),
    ("duplicate-key", partner(BASE + "name: Dr. Again\n"), ("NK005", 5, 1)),
    ("anchor", partner(BASE + "tags: &t [a]\n"), ("NK006", 5, 7)),
    ("merge-key", partner(BASE + "answers:\n  <<: {serve: x}\n"), ("NK006", 6, 3)),
    ("too-deep", partner(BASE + "tags: " + "[" * 60 + "]" * 60 + "\n"), ("NK007", 5, 47)),
    ("not-a-mapping", partner("- name: Dr. A\n"), ("NK008", 2, 1)),
    ("complex-key", partner(BASE + "? [a, b]\n: 1\n"), ("NK009", 5, 3)),
    ("yaml-tag", partner(BASE + "practice: !!python/object:os.system x\n"), ("NK012", 5, 11)),
    ("unknown-key", partner("nmae: Dr. A\nkind: pcp\n"), ("NK101", 2, 1)),
    ("unknown-referral-key", partner(BASE + "referrals:\n  - client: J.M.\n    recieved: 2026-02-01\n"),
     ("NK101", 7, 5)),
    ("missing-name", partner("kind: pcp\n"), ("NK102", 2, 1)),
    ("missing-received", partner(BASE + "referrals:\n  - client: J.M.\n"), ("NK102", 6, 5)),
    ("missing-history-play", partner(BASE + "history:\n  - {date: 2026-01-05}\n"), ("NK102", 6, 5)),
    ("date-slashes", partner("name: Dr. A\nkind: pcp\nmet: 03/04/2026\n"), ("NK103", 4, 6)),
    ("date-no-padding", partner(BASE + "referrals:\n  - {client: J.M., received: 2026-3-4}\n"), ("NK103", 6, 30)),
    ("date-impossible", partner("name: Dr. A\nkind: pcp\nmet: 2026-02-30\n"), ("NK103", 4, 6)),
    ("date-word", partner(BASE + "history:\n  - {date: yesterday, play: check-in}\n"), ("NK103", 6, 12)),
    ("met-with-time", partner("name: Dr. A\nkind: pcp\nmet: 2026-01-05 10:00\n"), ("NK103", 4, 6)),
    ("name-is-list", partner("name: [Dr, A]\nkind: pcp\n"), ("NK104", 2, 7)),
    ("history-not-list", partner(BASE + "history: 2026-01-05\n"), ("NK104", 5, 10)),
    ("phone-boolean", partner(BASE + "email: no\n"), ("NK104", 5, 8)),
    ("kind-typo", partner("name: Dr. A\nkind: pediatrcian\n"), ("NK105", 3, 7)),
    ("tier-unknown", partner(BASE + "tier: gold\n"), ("NK105", 5, 7)),
    ("status-unknown", partner(BASE + "status: inactive\n"), ("NK105", 5, 9)),
    ("outcome-unknown", partner(BASE + "referrals:\n  - {client: J.M., received: 2026-02-01, outcome: done}\n"),
     ("NK105", 6, 51)),
    ("future-history", partner(BASE + "history:\n  - {date: 2027-01-05, play: check-in}\n"), ("NK106", 6, 12)),
    ("future-acknowledged", partner(BASE + "referrals:\n  - client: J.M.\n    received: 2026-02-01\n"
                                    "    acknowledged: 2026-12-31\n"), ("NK106", 8, 19)),
    ("ack-before-received", partner(BASE + "referrals:\n  - client: J.M.\n    received: 2026-02-01 10:00\n"
                                    "    acknowledged: 2026-02-01 09:00\n"), ("NK107", 8, 19)),
    ("first-session-before-intake", partner(BASE + "referrals:\n  - client: J.M.\n    received: 2026-02-01\n"
                                            "    intake: 2026-02-10\n    first_session: 2026-02-09\n"),
     ("NK107", 9, 20)),
    ("client-name", partner(BASE + "referrals:\n  - {client: John Miller, received: 2026-02-01}\n"), ("NK108", 6, 14)),
    ("client-lowercase", partner(BASE + "shared_clients:\n  - {client: jm, start: 2026-02-01}\n"), ("NK108", 6, 14)),
    ("npi-short", partner(BASE + "npi: \"124531959\"\n"), ("NK109", 5, 6)),
    ("npi-check-digit", partner(BASE + "npi: \"1245319598\"\n"), ("NK109", 5, 6)),
    ("bounced-no-reason", partner(BASE + "referrals:\n  - client: J.M.\n    received: 2026-02-01\n"
                                  "    outcome: bounced\n    bounced: 2026-02-02\n    bounced_to: dr-b\n"),
     ("NK110", 8, 14)),
    ("bounced-no-target", partner(BASE + "referrals:\n  - client: J.M.\n    received: 2026-02-01\n"
                                  "    outcome: bounced\n    reason: Needs feeding therapy\n    bounced: 2026-02-02\n"),
     ("NK111", 8, 14)),
    ("restart-no-met", partner("name: Dr. A\nkind: pcp\nrestart: 2026-03-01\n"), ("NK112", 4, 10)),
    ("restart-before-met", partner(BASE + "restart: 2025-12-01\n"), ("NK112", 5, 10)),
    ("gift-negative", partner(BASE + "gifts:\n  - {date: 2026-02-01, what: Card, value: -5}\n"), ("NK113", 6, 43)),
    ("gift-currency", partner(BASE + "gifts:\n  - {date: 2026-02-01, what: Card, value: $25}\n"), ("NK113", 6, 43)),
    ("replied-word", partner(BASE + "history:\n  - {date: 2026-01-05, play: check-in, replied: maybe}\n"),
     ("NK114", 6, 49)),
    ("empty-name", partner("name: \"\"\nkind: pcp\n"), ("NK115", 2, 7)),
    ("unknown-play", partner(BASE + "history:\n  - {date: 2026-01-05, play: chek-in}\n"), ("NK201", 6, 30)),
    ("unknown-partner", partner(BASE + "history:\n  - {date: 2026-01-05, play: warm-introduction, with: dr-c}\n"),
     ("NK202", 6, 55)),
    ("self-reference", partner(BASE + "history:\n  - {date: 2026-01-05, play: warm-introduction, with: dr-a}\n"),
     ("NK203", 6, 55)),
]


@pytest.mark.parametrize("name,text,expected", CASES, ids=[c[0] for c in CASES])
def test_partner_error_points_at_the_line(tmp_path, name, text, expected):
    ws = make_workspace(tmp_path / "ws", {"dr-b": OK})
    (ws / "partners" / "dr-a.md").write_text(text, encoding="utf-8")
    r = nk("--now", "2026-06-01", "check", "--format", "json", cwd=ws)
    assert r.code == 2, r.out + r.err
    import json
    errors = json.loads(r.out)["errors"]
    keys = [(e["path"], e["code"], e["line"], e["col"]) for e in errors]
    assert ("partners/dr-a.md",) + expected in keys
    assert len(errors) == 1, f"one problem, one diagnostic: {errors}"


PLAYBOOK_CASES = [
    ("unknown-section", "practise:\n  name: X\n", ("NK301", 1, 1)),
    ("unknown-practice-key", "practice:\n  nmae: X\n", ("NK301", 2, 3)),
    ("bad-number", "rotation:\n  standard_days: seven\n", ("NK302", 2, 18)),
    ("bad-target", "targets:\n  reply_rate: [0.2, 0.1]\n", ("NK302", 2, 15)),
    ("calendar-unknown-play", "calendar: [initial-meeting, chek-in]\n", ("NK303", 1, 29)),
    ("otherwise-unknown", "plays:\n  in-person-visit:\n    otherwise: nothing\n", ("NK303", 3, 16)),
    ("bad-play-id", "plays:\n  Resource Email:\n    name: X\n    kind: personal\n", ("NK304", 2, 3)),
    ("playbook-syntax", "practice: [\n", ("NK004", 2, 1)),
    ("playbook-list", "- a\n", ("NK008", 1, 1)),
]


@pytest.mark.parametrize("name,text,expected", PLAYBOOK_CASES, ids=[c[0] for c in PLAYBOOK_CASES])
def test_playbook_error_points_at_the_line(tmp_path, name, text, expected):
    ws = make_workspace(tmp_path / "ws", {"dr-b": OK}, playbook=text)
    r = nk("--now", "2026-06-01", "check", cwd=ws)
    assert r.code == 2
    assert f"playbook.yaml:{expected[1]}:{expected[2]}: error {expected[0]} " in r.err, r.err


def test_bad_file_name(tmp_path):
    ws = make_workspace(tmp_path / "ws", {"dr-b": OK})
    (ws / "partners" / "Dr Lee.md").write_text(partner(OK), encoding="utf-8")
    (ws / "partners" / "_draft.md").write_text("not even yaml: [", encoding="utf-8")
    r = nk("--now", "2026-06-01", "check", cwd=ws)
    assert r.code == 2
    assert "partners/Dr Lee.md:1:1: error NK010 " in r.err
    assert "_draft" not in r.err


def test_not_utf8_names_the_line(tmp_path):
    ws = make_workspace(tmp_path / "ws", {"dr-b": OK})
    (ws / "partners" / "dr-a.md").write_bytes(b"---\nname: Dr. A\npractice: Caf\xe9 Kids\nkind: pcp\n---\n")
    r = nk("--now", "2026-06-01", "check", cwd=ws)
    assert r.code == 2
    assert "partners/dr-a.md:3:14: error NK001 " in r.err


def test_unreadable_playbook(tmp_path):
    ws = make_workspace(tmp_path / "ws", {"dr-b": OK}, playbook=None)
    (ws / "playbook.yaml").mkdir()
    r = nk("--now", "2026-06-01", "check", cwd=ws)
    assert r.code == 2 and "playbook.yaml:1:1: error NK011 " in r.err


def test_huge_file_refused(tmp_path):
    ws = make_workspace(tmp_path / "ws", {"dr-b": OK})
    (ws / "partners" / "dr-a.md").write_text(partner(BASE) + "x" * 2_100_000, encoding="utf-8")
    r = nk("--now", "2026-06-01", "check", cwd=ws)
    assert r.code == 2 and "partners/dr-a.md:1:1: error NK007 " in r.err


def test_all_problems_in_one_run(tmp_path):
    ws = make_workspace(tmp_path / "ws", {
        "dr-a": "name: Dr. A\nkind: pcp\nmet: 03/04/2026\n",
        "dr-b": "name: Dr. B\nkind: pcp\ntier: gold\n",
        "dr-c": "name: [x]\nkind: pcp\n"})
    r = nk("--now", "2026-06-01", "check", cwd=ws)
    assert r.code == 2
    assert [line.split(": error ")[0] for line in r.err.splitlines() if ": error " in line] == [
        "partners/dr-a.md:4:6", "partners/dr-b.md:4:7", "partners/dr-c.md:2:7"]


def test_messages_pinned(tmp_path, update_golden):
    """The wording a user sees, pinned once for the whole corpus."""
    lines = []
    for name, text, _ in CASES:
        ws = make_workspace(tmp_path / name, {"dr-b": OK})
        (ws / "partners" / "dr-a.md").write_text(text, encoding="utf-8")
        r = nk("--now", "2026-06-01", "check", cwd=ws)
        lines.append(f"## {name}\n{r.err}")
    golden("bad-input-messages.txt", "\n".join(lines), update_golden)
