"""Daily work from the terminal: new, log, refer, draft, import, audit, serve."""
import difflib
import json
import subprocess
import threading
import time
import urllib.request

import pytest

from conftest import DATA, DEMO_NOW, make_workspace, nk

NOW = "2026-06-01 09:00"


def added(before: str, after: str):
    """The lines `after` adds to `before`; fails if any line of `before` changed or went away."""
    diff = list(difflib.ndiff(before.splitlines(keepends=True), after.splitlines(keepends=True)))
    removed = [d for d in diff if d.startswith("- ")]
    assert not removed, f"lines changed: {removed}"
    return [d[2:] for d in diff if d.startswith("+ ")]


def test_a_coordinators_day(tmp_path):
    ws = make_workspace(tmp_path / "ws", {"kids-first-ot": "name: Kids First OT\nkind: therapist\n"})
    run = lambda *a: nk("--now", NOW, *a, cwd=ws)  # noqa: E731
    assert run("new", "dr-lee", "--name", "Dr. Marcus Lee", "--kind", "pcp", "--email", "mlee@x.example",
               "--met", "2026-05-20").code == 0
    path = ws / "partners" / "dr-lee.md"
    steps = [
        (["log", "dr-lee", "resource-email", "--note", "Sent the insurance list"],
         ["  - {date: 2026-06-01, play: resource-email, note: Sent the insurance list}\n"]),
        (["refer", "dr-lee", "J.M.", "--received", "2026-06-01 08:15"],
         ["referrals:\n", "  - client: J.M.\n", "    received: 2026-06-01 08:15\n"]),
        (["refer", "dr-lee", "J.M.", "--family-contacted"], ["    family_contacted: 2026-06-01 09:00\n"]),
        (["refer", "dr-lee", "J.M.", "--acknowledged", "2026-06-01 09:30"], ["    acknowledged: 2026-06-01 09:30\n"]),
        (["refer", "dr-lee", "J.M.", "--intake", "2026-06-08"], ["    intake: 2026-06-08\n"]),
        (["refer", "dr-lee", "J.M.", "--first-session", "2026-06-15"], ["    first_session: 2026-06-15\n"]),
        (["refer", "dr-lee", "J.M.", "--thanked", "2026-06-01"], ["    thanked: 2026-06-01\n"]),
    ]
    for args, lines in steps:
        before = path.read_text()
        r = run(*args)
        assert r.code == 0, r.err
        assert added(before, path.read_text()) == lines, args
    r = run("refer", "dr-lee", "J.M.", "--acknowledged")
    assert r.code == 0 and "changed acknowledged" in r.out        # an explicit correction replaces its own line
    d = run("draft", "dr-lee", "--loop", "acknowledge")
    assert d.code == 2                                              # nothing open: acknowledged on time
    # the first session happens; two days later the loop must be closed
    later = lambda *a: nk("--now", "2026-06-18 09:00", *a, cwd=ws)  # noqa: E731
    c = later("check", "--format", "json")
    assert c.code == 1 and [x["loop"] for x in json.loads(c.out)["loops"]] == ["close-loop"]
    d = later("draft", "dr-lee", "--loop", "close-loop")
    assert d.code == 0 and d.out.startswith("To: Dr. Marcus Lee <mlee@x.example>\nSubject: Update on J.M.\n")
    r = later("refer", "dr-lee", "J.M.", "--loop-closed")
    assert r.code == 0 and "Nothing is waiting" in r.out
    assert later("build").code == 0
    assert later("check").code == 0
    text = path.read_text()
    assert text.startswith("---\nname: Dr. Marcus Lee\nkind: pcp\nemail: mlee@x.example\nmet: 2026-05-20\n")
    assert text.endswith("    thanked: 2026-06-01\n    loop_closed: 2026-06-18 09:00\n---\n"
                         "Notes about this partner (Markdown). Initials only for clients; nothing clinical.\n")


def test_log_keeps_every_other_byte(tmp_path):
    original = ("\ufeff---\r\nname: 'Dr. A'   # quoted on purpose\r\nkind: pcp\r\nmet: 2026-01-05\r\n"
                "history:\r\n- date: 2026-01-05   # the spec example's style\r\n  play: initial-meeting\r\n\r\n"
                "# a comment after the list\r\ntags: [a]\r\n---\r\nBody --- with dashes\r\n---\r\n")
    ws = make_workspace(tmp_path / "ws", {})
    path = ws / "partners" / "dr-a.md"
    path.write_bytes(original.encode("utf-8"))
    r = nk("--now", NOW, "log", "dr-a", "check-in", "--date", "2026-05-30", "--replied", "2026-05-31", cwd=ws)
    assert r.code == 0, r.err
    new = path.read_bytes().decode("utf-8")
    assert new == original.replace("  play: initial-meeting\r\n",
                                   "  play: initial-meeting\r\n- date: 2026-05-30\r\n  play: check-in\r\n"
                                   "  replied: 2026-05-31\r\n")


def test_log_without_history_appends_the_list(tmp_path):
    ws = make_workspace(tmp_path / "ws", {"dr-a": "name: Dr. A\nkind: pcp\n"})
    before = (ws / "partners" / "dr-a.md").read_text()
    assert nk("--now", NOW, "log", "dr-a", "intro-email", "--note", "yes: really", cwd=ws).code == 0
    assert added(before, (ws / "partners" / "dr-a.md").read_text()) == [
        "history:\n", '  - date: 2026-06-01\n', '    play: intro-email\n', '    note: "yes: really"\n']


@pytest.mark.parametrize("args,code,message", [
    (["log", "dr-a", "chek-in"], "NK602", "unknown play 'chek-in' (did you mean 'check-in'?)"),
    (["log", "dr-a", "check-in", "--date", "2027-01-01"], "NK602", "is in the future"),
    (["log", "dr-zz", "check-in"], "NK603", "no partner 'dr-zz'"),
    (["log", "dr-a", "warm-introduction", "--with", "dr-a"], "NK602", "must name another partner"),
    (["refer", "dr-a", "John Smith"], "NK602", "not initials"),
    (["new", "dr-a", "--name", "X", "--kind", "pcp"], "NK605", "already exists"),
    (["new", "Dr A", "--name", "X", "--kind", "pcp"], "NK010", "not a valid id"),
])
def test_refused_edits_leave_the_file_alone(tmp_path, args, code, message):
    ws = make_workspace(tmp_path / "ws", {"dr-a": "name: Dr. A\nkind: pcp\nmet: 2026-01-05\n"})
    before = (ws / "partners" / "dr-a.md").read_bytes()
    r = nk("--now", NOW, *args, cwd=ws)
    assert r.code == 2 and f"error {code} " in r.err and message in r.err, r.err
    assert (ws / "partners" / "dr-a.md").read_bytes() == before


def test_file_changed_on_disk_during_edit_is_not_overwritten(tmp_path):
    from nurturekit.edit import EditError, write_checked
    p = tmp_path / "x.md"
    p.write_text("theirs")
    with pytest.raises(EditError) as exc:
        write_checked(p, b"what we read", "ours", "partners/x.md")
    assert exc.value.diagnostic.code == "NK601" and p.read_text() == "theirs"


def test_bounce_and_decline(tmp_path):
    ws = make_workspace(tmp_path / "ws", {"dr-a": "name: Dr. A\nkind: pcp\n", "ot": "name: OT\nkind: therapist\n"})
    run = lambda *a: nk("--now", NOW, *a, cwd=ws)  # noqa: E731
    assert run("refer", "dr-a", "A.K.", "--acknowledged", "--family-contacted").code == 0
    r = run("refer", "dr-a", "A.K.", "--bounce-to", "ot", "--reason", "Needs feeding therapy")
    assert r.code == 0 and "bounce-referrer" in r.out and "bounce-receiver" in r.out
    text = (ws / "partners" / "dr-a.md").read_text()
    assert "    outcome: bounced\n    reason: Needs feeding therapy\n    bounced: 2026-06-01\n    bounced_to: ot\n" in text
    assert run("refer", "dr-a", "B.B.", "--declined").code == 2          # --declined needs --reason


def test_log_due_referral_filter_logs_the_batch(demo):
    r = nk("--now", DEMO_NOW, "log", "--due", "referral-filter", cwd=demo)
    assert r.code == 0
    assert sorted(line.split(":")[0] for line in r.out.splitlines() if line.startswith("partners/")) == [
        "partners/dr-marcus-lee.md", "partners/dr-priya-shah.md"]
    due = json.loads(nk("--now", DEMO_NOW, "due", "--format", "json", cwd=demo).out)
    assert {s["partner"]: s["status"] for s in due["steps"]}["dr-priya-shah"] == "done"


def test_draft_prints_the_due_step(demo):
    r = nk("--now", DEMO_NOW, "draft", "dr-sam-patel", cwd=demo)
    assert r.code == 0 and r.out.startswith("To: Dr. Sam Patel <spatel@riverside-kids.example>\n"
                                            "Subject: We would like to feature you\n\nHi Dr. Patel,\n")
    r = nk("--now", DEMO_NOW, "draft", "dr-nina-okafor", cwd=demo)
    assert r.code == 2 and "already done" in r.err
    r = nk("--now", DEMO_NOW, "draft", "sunrise-daycare", cwd=demo)
    assert r.code == 0 and "Subject: Getting to know Sunrise Early Learning Center" in r.out


def test_import_nppes_is_idempotent(demo):
    csv_path = DATA / "nppes-sample.csv"
    dry = nk("--now", DEMO_NOW, "import", csv_path, "--dry-run", cwd=demo)
    assert dry.code == 0 and "4 new prospect files would be written" in dry.out
    assert not (demo / "partners" / "dr-linda-nguyen.md").exists()
    r = nk("--now", DEMO_NOW, "import", csv_path, cwd=demo)
    assert r.code == 0
    assert f"{csv_path}:4:1: warning NK502 NPI '1245319598' fails the check digit" in r.err
    assert f"{csv_path}:5:1: warning NK502 NPI 1982717617 was deactivated" in r.err
    assert "line 6: NPI 1526018159 is already partners/dr-priya-shah.md; left as it is" in r.out
    created = {p.name for p in (demo / "partners").glob("*.md")} - {
        "bayview-speech.md", "dr-elena-ruiz.md", "dr-grace-kim.md", "dr-marcus-lee.md", "dr-nina-okafor.md",
        "dr-omar-haddad.md", "dr-priya-shah.md", "dr-sam-patel.md", "harbor-counseling.md", "kids-first-ot.md",
        "lakeside-early-intervention.md", "maple-elementary.md", "sunrise-daycare.md", "valley-family-medicine.md"}
    assert created == {"dr-linda-nguyen.md", "sunnyside-pediatric-therapy-llc.md", "dr-marco-rossi.md", "june-park.md"}
    nguyen = (demo / "partners" / "dr-linda-nguyen.md").read_text()
    assert "kind: pediatrician\n" in nguyen and 'npi: "1245319599"\n' in nguyen and "\nmet:" not in nguyen
    assert "name: Sunnyside Pediatric Therapy LLC\n" in (demo / "partners" / "sunnyside-pediatric-therapy-llc.md").read_text()
    again = nk("--now", DEMO_NOW, "import", csv_path, cwd=demo)
    assert "0 new prospect files written" in again.out
    assert nk("--now", DEMO_NOW, "validate", cwd=demo).code == 0


def test_import_simple_list(demo):
    r = nk("--now", DEMO_NOW, "import", DATA / "provider-list.csv", cwd=demo)
    assert r.code == 0 and "dr-amy-chen.md (Dr. Amy Chen, pcp)" in r.out
    assert "little-learners-preschool.md (Little Learners Preschool, daycare)" in r.out


def test_audit_reads_git_history(demo):
    git = lambda *a: subprocess.run(["git", "-C", str(demo), *a], check=True, capture_output=True)  # noqa: E731
    r = nk("audit", "dr-marcus-lee", cwd=demo)
    assert r.code == 2 and "not in a git repository" in r.err
    git("init", "-q")
    git("add", "-A")
    git("-c", "user.name=Maria Alvarez", "-c", "user.email=maria@example.org", "commit", "-qm", "Partner files")
    nk("--now", DEMO_NOW, "log", "dr-marcus-lee", "check-in", cwd=demo)
    r = nk("audit", "dr-marcus-lee", cwd=demo)
    assert r.code == 0
    assert "partners/dr-marcus-lee.md:20  history: 2026-06-02 initial-meeting\n      added " in r.out
    assert "by Maria Alvarez <maria@example.org> in " in r.out and '"Partner files"' in r.out
    assert "history: 2026-12-03 check-in\n      not committed yet" in r.out
    assert "    acknowledged: 2026-11-30 10:00" in r.out


def test_serve_rebuilds_on_save_and_survives_bad_edits(demo):
    from nurturekit.serve import serve
    from datetime import datetime
    stop, ready = threading.Event(), {}
    now = datetime(2026, 12, 3, 9, 0)
    t = threading.Thread(target=serve, args=(demo, 0, lambda: now),
                         kwargs={"log": lambda m: None, "stop": stop,
                                 "ready": lambda port, b: ready.update(port=port, builder=b)}, daemon=True)
    t.start()
    for _ in range(100):
        if "port" in ready:
            break
        time.sleep(0.05)
    base = f"http://127.0.0.1:{ready['port']}"
    get = lambda path: urllib.request.urlopen(base + path, timeout=5).read().decode()  # noqa: E731

    def wait_for(predicate, seconds=10):
        end = time.time() + seconds
        while time.time() < end:
            if predicate():
                return True
            time.sleep(0.05)
        return False
    try:
        assert "/__nurturekit/live.js" in get("/index.html")
        page = demo / "partners" / "maple-elementary.md"
        page.write_text(page.read_text().replace("teacher workshop", "staff workshop"))
        assert wait_for(lambda: "staff workshop" in get("/partners/maple-elementary.html"))
        # vim: rename away, write a new file, delete the backup; plus a swap file that must be ignored
        status_of = lambda page: json.loads(get("/__nurturekit/status?page=" + page))  # noqa: E731
        version = status_of("/partners/maple-elementary.html")["version"]
        assert version > 0
        backup = page.with_name("maple-elementary.md~")
        page.rename(backup)
        page.write_text(backup.read_text().replace("staff workshop", "parent evening"))
        backup.unlink()
        (demo / "partners" / ".maple-elementary.md.swp").write_bytes(b"\x00binary")
        assert wait_for(lambda: "parent evening" in get("/partners/maple-elementary.html"))
        # the open page reloads when its own file changed, and only then
        assert wait_for(lambda: status_of("/partners/maple-elementary.html")["version"] > version)
        time.sleep(0.5)   # let the full rebuild finish too
        changed = status_of("/partners/maple-elementary.html")["version"]
        assert status_of("/playbook.html")["version"] < version   # untouched since the first build
        # an invalid save: the last good page stays (no reload), the error is reported
        page.write_text(page.read_text().replace("kind: school", "kind: schol"))
        assert wait_for(lambda: json.loads(get("/__nurturekit/status"))["errors"])
        status = status_of("/partners/maple-elementary.html")
        assert "NK105" in status["errors"][0] and status["version"] == changed
        assert "parent evening" in get("/partners/maple-elementary.html")
        page.write_text(page.read_text().replace("kind: schol", "kind: school"))
        assert wait_for(lambda: not json.loads(get("/__nurturekit/status"))["errors"])
    finally:
        stop.set()
        t.join(timeout=5)


@pytest.fixture(params=["own process", "thread (Windows)"])
def full_build_mode(request, monkeypatch):
    """serve's full build runs in a process of its own, or in a thread where that is not to be had."""
    from nurturekit import serve
    monkeypatch.setattr(serve, "SEPARATE_PROCESS", request.param == "own process")
    return request.param


def test_serve_writes_the_edited_partners_pages_first(demo, tmp_path, full_build_mode):
    """A save of one partner file: that partner's pages are on disk when rebuild() returns, and
    the full build then agrees with them byte for byte."""
    from datetime import datetime
    from nurturekit.serve import Builder
    logs = []
    b = Builder(demo, tmp_path / "site", lambda: datetime(2026, 12, 3, 9, 0), log=logs.append)
    b.rebuild()
    b.wait()
    assert b.good and "rebuilt in" in logs[-1]
    page = demo / "partners" / "dr-marcus-lee.md"
    page.write_text(page.read_text() + "\nThe new office opens in January.\n")   # a line in the notes
    logs.clear()
    b.rebuild({"partners/dr-marcus-lee.md"})
    html = (tmp_path / "site" / "partners" / "dr-marcus-lee.html").read_text()
    assert "The new office opens in January." in html
    assert logs[0].startswith("dr-marcus-lee: ") and "page(s) updated in" in logs[0]
    b.wait()
    assert "rebuilt in" in logs[1] and ": 0 written," in logs[1]   # notes show on that page only
    # a new referral: first its partner's pages, then the dashboard, drafts index and the rest
    page.write_text(page.read_text().replace("referrals:\n", "referrals:\n  - {client: Q.Z., received: 2026-12-03 08:00}\n", 1))
    logs.clear()
    b.rebuild({"partners/dr-marcus-lee.md"})
    b.wait()
    assert logs[0].startswith("dr-marcus-lee: ") and "rebuilt in" in logs[1]
    assert ": 0 written," not in logs[1]
    assert "Q.Z." in (tmp_path / "site" / "index.html").read_text()
    # a playbook change is never a partial build
    logs.clear()
    b.rebuild({"playbook.yaml"})
    b.wait()
    assert len(logs) == 1 and logs[0].startswith("rebuilt in")
    # an invalid save is reported at once, and the site on disk stays as it was
    before = (tmp_path / "site" / "partners" / "dr-marcus-lee.html").read_bytes()
    page.write_text(page.read_text().replace("kind: pcp", "kind: pcpp"))
    logs.clear()
    b.rebuild({"partners/dr-marcus-lee.md"})
    assert not b.good and "NK105" in b.errors[0]
    assert (tmp_path / "site" / "partners" / "dr-marcus-lee.html").read_bytes() == before


def test_serve_ends_a_full_build_made_stale_by_a_newer_save(demo, tmp_path):
    """A second save while the first save's full build runs: that build is ended before it
    writes anything, the newly saved page is written at once, and the next full build covers
    both saves."""
    from datetime import datetime
    from nurturekit.serve import Builder
    logs = []
    b = Builder(demo, tmp_path / "site", lambda: datetime(2026, 12, 3, 9, 0), log=logs.append)
    b.rebuild()
    b.wait()
    first, second = demo / "partners" / "dr-marcus-lee.md", demo / "partners" / "maple-elementary.md"
    first.write_text(first.read_text().replace("referrals:\n", "referrals:\n  - {client: Q.Z., received: 2026-12-03 08:00}\n", 1))
    logs.clear()
    b.rebuild({"partners/dr-marcus-lee.md"})
    stale = b.full
    second.write_text(second.read_text() + "\nSecond save.\n")
    b.rebuild({"partners/maple-elementary.md"})
    assert stale.cancelled and stale.proc.poll() is not None
    assert "Second save." in (tmp_path / "site" / "partners" / "maple-elementary.html").read_text()
    b.wait()
    assert [m.split(":")[0] for m in logs[:2]] == ["dr-marcus-lee", "maple-elementary"]
    assert len(logs) == 3 and logs[-1].startswith("rebuilt in")   # the first full build never reported
    assert "Q.Z." in (tmp_path / "site" / "index.html").read_text()


def test_serve_reports_a_template_error_from_the_full_build(demo, tmp_path, full_build_mode):
    """A broken template is found by the full build's process: the error reaches the page's
    status and the terminal, and the last good site stays on disk."""
    from datetime import datetime
    from nurturekit.serve import Builder
    logs = []
    b = Builder(demo, tmp_path / "site", lambda: datetime(2026, 12, 3, 9, 0), log=logs.append)
    b.rebuild()
    b.wait()
    before = (tmp_path / "site" / "index.html").read_bytes()
    (demo / "templates").mkdir(exist_ok=True)
    (demo / "templates" / "index.html.j2").write_text("{% extends 'base.html.j2' %}\n{% block content %}{{ oops( }}{% endblock %}\n")
    b.rebuild({"templates/index.html.j2"})
    b.wait()
    assert not b.good and b.errors and "NK401" in b.errors[0] and "templates/index.html.j2:2" in b.errors[0]
    assert "fix the template" in logs[-1]
    assert (tmp_path / "site" / "index.html").read_bytes() == before
    (demo / "templates" / "index.html.j2").unlink()
    b.rebuild({"templates/index.html.j2"})
    b.wait()
    assert b.good and not b.errors and logs[-1].startswith("rebuilt in")
