"""`nurturekit build`: the site's files, determinism, safety of the writer, drafts, calendar."""
import email
import email.policy
import os
import re
from pathlib import Path
from urllib.parse import unquote

import pytest

from conftest import DEMO_NOW, REPO, make_workspace, nk


def build(ws, *extra, out=None):
    args = ["--now", DEMO_NOW, "build"] + (["--out", str(out)] if out else []) + list(extra)
    return nk(*args, cwd=ws)


def files(folder: Path):
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_demo_site_matches_golden(demo, update_golden):
    r = build(demo)
    assert r.code == 0, r.err
    got = files(demo / "site")
    gold = REPO / "site"   # the committed demo site is the golden copy
    if update_golden:
        import shutil
        shutil.rmtree(gold, ignore_errors=True)
        for rel, data in got.items():
            (gold / rel).parent.mkdir(parents=True, exist_ok=True)
            (gold / rel).write_bytes(data)
    expected = files(gold)
    assert sorted(got) == sorted(expected)
    changed = [rel for rel in got if got[rel] != expected[rel]]
    assert not changed, f"pages differ from site/ (run pytest --update-golden if intended): {changed}"


def test_same_input_same_bytes_and_no_rewrites(demo):
    assert build(demo).code == 0
    first = files(demo / "site")
    mtimes = {p: p.stat().st_mtime_ns for p in (demo / "site").rglob("*") if p.is_file()}
    r = build(demo)
    assert r.code == 0 and " 0 written," in r.out
    assert files(demo / "site") == first
    assert {p: p.stat().st_mtime_ns for p in (demo / "site").rglob("*") if p.is_file()} == mtimes


def test_one_edit_rewrites_only_what_changed(demo):
    build(demo)
    p = demo / "partners" / "maple-elementary.md"
    p.write_text(p.read_text().replace("Offer the free teacher workshop", "Offer the free staff workshop"))
    r = build(demo)
    assert " 1 written," in r.out, r.out
    assert "staff workshop" in (demo / "site" / "partners" / "maple-elementary.html").read_text()


def test_stale_files_removed_and_foreign_files_kept(demo):
    build(demo)
    (demo / "site" / "CNAME").write_text("keep me")
    (demo / "partners" / "dr-omar-haddad.md").unlink()
    r = build(demo)
    assert r.code == 0 and "removed" in r.out
    assert not (demo / "site" / "partners" / "dr-omar-haddad.html").exists()
    assert (demo / "site" / "CNAME").read_text() == "keep me"


def test_invalid_workspace_writes_nothing(demo):
    build(demo)
    before = files(demo / "site")
    p = demo / "partners" / "dr-marcus-lee.md"
    p.write_text(p.read_text().replace("kind: pcp", "kind: pcpp"))
    r = build(demo)
    assert r.code == 2 and "NK105" in r.err and "Nothing was written" in r.err
    assert files(demo / "site") == before


def test_refuses_a_folder_it_did_not_make(demo, tmp_path):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "thesis.docx").write_text("precious")
    r = build(demo, out=out)
    assert r.code == 2 and "not empty" in r.err
    assert [p.name for p in out.iterdir()] == ["thesis.docx"]


def test_user_template_overrides_by_name(demo):
    (demo / "templates" / "emails").mkdir()
    (demo / "templates" / "emails" / "check-in.txt").write_text(
        "Subject: Hello from {{ practice.name }}\n\nHi {{ partner.salutation }}, custom check-in.\n")
    (demo / "partners" / "dr-grace-kim.md").write_text(
        (demo / "partners" / "dr-grace-kim.md").read_text())
    r = build(demo)
    assert r.code == 0, r.err
    batch = (demo / "site" / "drafts").glob("*check-in*.html")
    for page in batch:
        assert "custom check-in" in page.read_text()


def test_template_error_is_a_diagnostic_with_line(demo):
    (demo / "templates" / "emails").mkdir()
    (demo / "templates" / "emails" / "resource-email.txt").write_text("Subject: x\n\n{{ partner.nmae }}\n")
    (demo / "templates" / "index.html.j2").write_text("{% extends 'base.html.j2' %}\n{% block content %}\n{% for x in %}\n")
    r = build(demo)
    assert r.code == 2 and not (demo / "site").exists()
    assert "templates/emails/resource-email.txt:3:1: error NK402 template failed: 'dict object' has no attribute 'nmae'" in r.err
    assert "templates/index.html.j2:3:1: error NK401 template syntax error" in r.err


def test_ics_parses_strictly_with_stable_uids(demo):
    icalendar = pytest.importorskip("icalendar")
    build(demo)
    raw = (demo / "site" / "calendar.ics").read_bytes()
    assert raw.endswith(b"\r\n") and b"\n" not in raw.replace(b"\r\n", b"")
    assert all(len(line) <= 75 for line in raw.split(b"\r\n"))
    cal = icalendar.Calendar.from_ical(raw)
    events = [c for c in cal.walk("VEVENT")]
    assert events and len({str(e["UID"]) for e in events}) == len(events)
    for e in events:
        assert e["DTSTART"].params.get("VALUE") == "DATE" and e["DTEND"].dt > e["DTSTART"].dt
        assert str(e["SUMMARY"]) and e["DTSTAMP"]
    shah = [e for e in events if str(e["UID"]).startswith("dr-priya-shah-step-")]
    assert str(shah[0]["SUMMARY"]) == "Referral Filter Email: Dr. Priya Shah"
    assert "Draft subject: Current openings at Willow Creek Pediatric Therapy" in str(shah[0]["DESCRIPTION"])
    # a later build with the same records keeps the same UIDs for the same steps
    nk("--now", "2026-12-04 09:00", "build", cwd=demo)
    again = icalendar.Calendar.from_ical((demo / "site" / "calendar.ics").read_bytes())
    assert {str(e["UID"]) for e in again.walk("VEVENT")} & {str(e["UID"]) for e in events}


def test_eml_drafts_open_as_drafts(demo):
    build(demo)
    raw = (demo / "site" / "drafts" / "dr-marcus-lee-acknowledge-k-w-2026-11-28.eml").read_bytes()
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert msg["X-Unsent"] == "1"
    assert msg["To"] == '"Dr. Marcus Lee" <mlee@northside-fm.example>'
    assert msg["Subject"] == "Thank you for the referral (K.W.)"
    body = msg.get_content().replace("\r\n", "\n")   # .eml files use CRLF, as RFC 5322 says
    assert body.startswith("Hi Dr. Lee,\n") and "intake is set for December 10" in body
    page = (demo / "site" / "drafts" / "dr-marcus-lee-acknowledge-k-w-2026-11-28.html").read_text()
    href = re.search(r'href="(mailto:[^"]+)"', page).group(1).replace("&amp;", "&")
    query = dict(part.split("=", 1) for part in href.split("?", 1)[1].split("&"))
    assert unquote(query["body"]).replace("\r\n", "\n") == body
    assert unquote(query["subject"]) == msg["Subject"]


def test_eml_round_trips_accents_long_subjects_and_trailing_spaces():
    from nurturekit.outputs import eml
    subject = "Merci — a long subject about a référence for the family, long enough to need folding twice over"
    body = "Hi Dr. Núñez,\nthis line ends in a space \n" + "é" * 90
    raw = eml(("Zoë Ångström Therapy", "zoe@b.example"), [("Dr. José Núñez", "j@x.example"), ("Lee, Kim", "k@x.example")],
              subject, body)
    assert not re.search(rb"[^\r]\n", raw), "every line ends in CRLF"
    assert max(len(line) for line in raw.split(b"\r\n")) <= 78
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert msg["From"] == "Zoë Ångström Therapy <zoe@b.example>"
    assert [a.display_name for a in msg["To"].addresses] == ["Dr. José Núñez", "Lee, Kim"]
    assert msg["Subject"] == subject and not msg.defects
    assert msg.get_content().replace("\r\n", "\n") == body


def test_batch_filter_email_puts_everyone_in_bcc(demo):
    build(demo)
    msg = email.message_from_bytes((demo / "site" / "drafts" / "referral-filter-batch.eml").read_bytes(),
                                   policy=email.policy.default)
    assert "mlee@northside-fm.example" in msg["Bcc"] and "pshah@lakeside-peds.example" in msg["Bcc"]
    body = msg.get_content().replace("\r\n", "\n")
    assert "- Feeding therapy, ages 1-6, North County clinic: waitlist (about 4 weeks)\n" in body


def test_long_drafts_fall_back_to_copy(tmp_path):
    from nurturekit.outputs import mailto
    assert mailto([("A", "a@b.example")], "s", "x" * 1800) is None
    assert mailto([("A", "a@b.example")], "s", "x" * 100).startswith("mailto:a@b.example?subject=s&body=")


def test_personal_templates_never_ask_for_referrals(demo):
    from nurturekit.loader import load_playbook
    from nurturekit.templates import salesy_templates
    pb, _ = load_playbook(demo)
    assert salesy_templates(demo, pb) == []
    (demo / "templates" / "emails").mkdir()
    (demo / "templates" / "emails" / "check-in.txt").write_text(
        "Subject: Hi\n\nHow are you? Please send us any referrals you have!\n")
    r = nk("--now", DEMO_NOW, "check", "--format", "json", cwd=demo)
    assert '"warning": "salesy"' in r.out and "templates/emails/check-in.txt" in r.out


def test_redacted_site_has_no_client_initials(demo, tmp_path):
    out = tmp_path / "redacted"
    assert build(demo, "--redact", out=out).code == 0
    text = "\n".join(p.read_text("utf-8", "replace") for p in out.rglob("*") if p.suffix in (".html", ".eml", ".ics"))
    for initials in ("J.M.", "K.W.", "C.F.", "R.S.", "O.N.", "B.C."):
        assert initials not in text
    assert "Client 1" in text


def test_no_external_requests_possible(demo):
    build(demo)
    for p in (demo / "site").rglob("*"):
        if p.suffix in (".html", ".css", ".js"):
            text = p.read_text()
            assert not re.search(r'(src|href)="(https?:)?//', text.replace('href="https://willowcreek', "")), p
            assert "@import" not in text and "url(" not in text, p


def test_markdown_notes_are_inert(tmp_path):
    ws = make_workspace(tmp_path, {"dr-a": "name: Dr. A\nkind: pcp\n"})
    (ws / "partners" / "dr-a.md").write_text(
        "---\nname: Dr. A\nkind: pcp\n---\n<script>alert(1)</script>\n\n[x](javascript:alert(2)) [ok](https://a.example)\n")
    assert build(ws).code == 0
    page = (ws / "site" / "partners" / "dr-a.html").read_text()
    assert "<script>alert" not in page and "&lt;script&gt;" in page
    assert 'href="javascript' not in page and 'href="https://a.example"' in page


def test_partner_bundle_matches_the_full_build_for_every_demo_partner():
    """What serve writes first for a saved partner file is exactly what the full build makes."""
    from datetime import datetime
    from nurturekit.analysis import analyze
    from nurturekit.loader import load_workspace
    from nurturekit.site import Site
    from nurturekit.templates import Templates, salesy_templates
    now = datetime(2026, 12, 3, 9, 0)
    ws, diags = load_workspace(REPO, now.date())
    templates = Templates(REPO)
    full = Site(analyze(ws, now, salesy_templates(REPO, ws.playbook)), templates, list(diags)).build()
    for p in ws.partners:
        bundle = Site(analyze(ws, now, only={p.id}), templates, list(diags)).partner_bundle({p.id})
        assert f"partners/{p.id}.html" in bundle
        assert all(name.startswith(("partners/", "drafts/")) for name in bundle)
        for name, data in bundle.items():
            assert data == full[name], f"{p.id}: {name} differs from the full build"
