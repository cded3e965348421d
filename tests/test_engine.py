"""Boundaries of semantics.md, table-driven, through the public JSON output."""
import json

import pytest

from conftest import make_workspace, nk


def check(tmp_path, partners, now, playbook=None, strict=False):
    kw = {} if playbook is None else {"playbook": playbook}
    ws = make_workspace(tmp_path / "ws", partners, **kw)
    args = ["--now", now, "check", "--format", "json"] + (["--strict"] if strict else [])
    r = nk(*args, cwd=ws)
    assert r.code in (0, 1), r.out + r.err
    return r.code, json.loads(r.out)


def due(tmp_path, partners, now, playbook=None):
    kw = {} if playbook is None else {"playbook": playbook}
    ws = make_workspace(tmp_path / "ws", partners, **kw)
    r = nk("--now", now, "due", "--format", "json", cwd=ws)
    assert r.code == 0, r.err
    return json.loads(r.out)


def referral(**fields):
    lines = "\n".join(f"    {k}: {v}" for k, v in fields.items())
    return f"name: Dr. A\nkind: pcp\nreferrals:\n  - client: J.M.\n{lines}\n"


def loops_of(out):
    return sorted(x["loop"] for x in out["loops"])


# --- loops --------------------------------------------------------------------------------

@pytest.mark.parametrize("now,overdue", [
    ("2026-03-05 10:30", False),   # exactly 24 hours: not yet past
    ("2026-03-05 10:31", True),
])
def test_acknowledge_deadline_is_24_hours_to_the_minute(tmp_path, now, overdue):
    code, out = check(tmp_path, {"dr-a": referral(received="2026-03-04 10:30", family_contacted="2026-03-04 11:00")}, now)
    assert loops_of(out) == (["acknowledge"] if overdue else [])
    assert code == (1 if overdue else 0)


@pytest.mark.parametrize("ack,late", [("2026-03-05 10:30", False), ("2026-03-05 10:31", True),
                                      ("2026-03-05", False), ("2026-03-06", True)])
def test_acknowledged_at_the_deadline_is_on_time(tmp_path, ack, late):
    """A bare date against a moment compares by date."""
    ws = make_workspace(tmp_path / "ws", {"dr-a": referral(received="2026-03-04 10:30", acknowledged=ack,
                                                              family_contacted="2026-03-04 11:00")})
    out = json.loads(nk("--now", "2026-03-20", "metrics", "--format", "json", cwd=ws).out)
    assert out["metrics"]["loop_closure"]["value"] == (0.0 if late else 1.0)


@pytest.mark.parametrize("now,overdue", [("2026-03-05 23:59", False), ("2026-03-06", True)])
def test_bare_date_deadline_is_overdue_the_next_day(tmp_path, now, overdue):
    _, out = check(tmp_path, {"dr-a": referral(received="2026-03-04", family_contacted="2026-03-04")}, now)
    assert [(x["loop"], x["deadline"]) for x in out["loops"]] == ([("acknowledge", "2026-03-05")] if overdue else [])


def test_hours_on_a_bare_date_round_up_to_days(tmp_path):
    pb = "loops:\n  acknowledge_hours: 36\n"
    _, out = check(tmp_path, {"dr-a": referral(received="2026-03-04", family_contacted="2026-03-04")},
                   "2026-03-07", playbook=pb)
    assert [x["deadline"] for x in out["loops"]] == ["2026-03-06"]


def test_close_loop_counts_from_first_session_else_intake_else_received(tmp_path):
    parts = {
        "dr-a": referral(received="2026-03-02", acknowledged="2026-03-02", family_contacted="2026-03-02",
                         intake="2026-03-05", first_session="2026-03-09"),
        "dr-b": referral(received="2026-03-02", acknowledged="2026-03-02", family_contacted="2026-03-02",
                         intake="2026-03-05", outcome="no-show"),
        "dr-c": referral(received="2026-03-02", acknowledged="2026-03-02", family_contacted="2026-03-02",
                         outcome="declined", reason="Outside our area"),
        "dr-d": referral(received="2026-03-02", acknowledged="2026-03-02", family_contacted="2026-03-02",
                         outcome="started", intake="2026-03-05"),
    }
    _, out = check(tmp_path, parts, "2026-04-01")
    assert [(x["partner"], x["loop"], x["deadline"]) for x in out["loops"]] == [
        ("dr-a", "close-loop", "2026-03-11"), ("dr-b", "close-loop", "2026-03-07"), ("dr-c", "close-loop", "2026-03-04")]


def test_future_first_session_does_not_open_the_loop_yet(tmp_path):
    _, out = check(tmp_path, {"dr-a": referral(received="2026-03-02", acknowledged="2026-03-02",
                                                 family_contacted="2026-03-02", first_session="2026-03-20")},
                   "2026-03-10")
    assert out["loops"] == []


def test_bounce_notices_and_the_receiver_touch(tmp_path):
    a = referral(received="2026-03-02 09:00", acknowledged="2026-03-02 10:00", family_contacted="2026-03-02 10:00",
                 outcome="bounced", reason="Needs feeding therapy", bounced="2026-03-03", bounced_to="dr-b",
                 receiver_told="2026-03-04")
    code, out = check(tmp_path, {"dr-a": a, "dr-b": "name: Dr. B\nkind: therapist\n"}, "2026-03-10")
    assert [(x["partner"], x["loop"], x["deadline"]) for x in out["loops"]] == [("dr-a", "bounce-referrer", "2026-03-04")]
    # the receiver was told on 03-04: that is a touch of dr-b, so dr-b (a prospect) is "contacted"
    d = due(tmp_path / "2", {"dr-a": a, "dr-b": "name: Dr. B\nkind: therapist\n"}, "2026-03-10")
    assert [p for p in d["prospects"] if p["partner"] == "dr-b"] == [
        {"partner": "dr-b", "stage": "contacted", "last_touch": "2026-03-04", "follow_up": False}]


def test_paused_and_closed_partners_still_have_loops(tmp_path):
    base = referral(received="2026-03-02", family_contacted="2026-03-02")
    _, out = check(tmp_path, {"dr-a": base + "status: paused\n", "dr-b": base + "status: closed\n"}, "2026-03-10")
    assert [(x["partner"], x["loop"]) for x in out["loops"]] == [("dr-a", "acknowledge"), ("dr-b", "acknowledge")]


def test_tracking_since_hides_older_deadlines(tmp_path):
    pb = "practice:\n  tracking_since: 2026-03-05\n"
    parts = {"dr-a": referral(received="2026-03-03", family_contacted="2026-03-03"),
             "dr-b": referral(received="2026-03-04", family_contacted="2026-03-04")}
    _, out = check(tmp_path, parts, "2026-03-10", playbook=pb)
    assert [(x["partner"], x["deadline"]) for x in out["loops"]] == [("dr-b", "2026-03-05")]


# --- tasks --------------------------------------------------------------------------------

def test_thank_you_ladder_counts_referrals_in_order_received(tmp_path):
    text = ("name: Dr. A\nkind: pcp\nreferrals:\n"
            + "".join(f"  - {{client: {c}, received: '{r}', acknowledged: '{r}', family_contacted: '{r}'}}\n"
                      for c, r in [("E.E.", "2026-03-05"), ("A.A.", "2026-03-01 10:00"), ("C.C.", "2026-03-03"),
                                   ("B.B.", "2026-03-02"), ("D.D.", "2026-03-03 00:00")]))
    _, out = check(tmp_path, {"dr-a": text}, "2026-04-01")
    # order: A (03-01 10:00), B, C (03-03 bare = 00:00, earlier in the file), D, E -> 1st, 3rd, 5th = A, C, E
    assert [(t["client"], t["deadline"]) for t in out["tasks"] if t["task"] == "thank-you"] == [
        ("A.A.", "2026-03-08"), ("C.C.", "2026-03-10"), ("E.E.", "2026-03-12")]


def test_care_update_and_next_steps(tmp_path):
    text = ("name: Dr. A\nkind: therapist\n"
            "shared_clients:\n  - {client: J.M., start: 2026-01-01, updates: [2026-02-01]}\n"
            "  - {client: A.B., start: 2026-01-01, ended: 2026-02-01}\n"
            "next_steps:\n  - {what: Send the guide, promised: 2026-04-01}\n"
            "  - {what: Call back, promised: 2026-04-01, due: 2026-05-15}\n"
            "  - {what: Done late, promised: 2026-04-01, done: 2026-04-20}\n")
    _, out = check(tmp_path, {"dr-a": text}, "2026-05-03")
    assert [(t["task"], t["client"], t.get("what"), t["deadline"]) for t in out["tasks"]] == [
        ("care-update", "J.M.", None, "2026-05-02"), ("next-step", None, "Send the guide", "2026-04-08")]


def test_strict_fails_on_tasks(tmp_path):
    text = "name: Dr. A\nkind: pcp\nnext_steps:\n  - {what: Send the guide, promised: 2026-04-01}\n"
    assert check(tmp_path / "a", {"dr-a": text}, "2026-05-03")[0] == 0
    assert check(tmp_path / "b", {"dr-a": text}, "2026-05-03", strict=True)[0] == 1


# --- rotation -----------------------------------------------------------------------------

def met(d, extra=""):
    return f"name: Dr. A\nkind: pediatrician\nmet: {d}\n{extra}"


@pytest.mark.parametrize("now,step,week,play,start", [
    ("2026-01-01", 1, 1, "initial-meeting", "2026-01-01"),
    ("2026-01-08", 2, 2, "resource-email", "2026-01-08"),
    ("2026-05-14", 20, 20, "referral-filter", "2026-05-14"),
    ("2026-05-21", 21, 2, "resource-email", "2026-05-21"),   # after week 20, back to week 2
    ("2026-09-24", 39, 20, "referral-filter", "2026-09-24"),
    ("2026-10-01", 40, 2, "resource-email", "2026-10-01"),
])
def test_calendar_week_repeats_from_week_2(tmp_path, now, step, week, play, start):
    s = due(tmp_path, {"dr-a": met("2026-01-01")}, now)["steps"][0]
    assert (s["step"], s["week"], s["play"], s["start"]) == (step, week, play, start)


def test_engagement_shortens_steps_while_it_lasts(tmp_path):
    # replied on 01-09: engaged on days in (d-30, d], i.e. until 02-07
    text = met("2026-01-01", "history:\n  - {date: 2026-01-08, play: resource-email, replied: 2026-01-09}\n")
    s = due(tmp_path, {"dr-a": text}, "2026-01-08")["steps"][0]
    assert (s["start"], s["end"], s["engaged"]) == ("2026-01-08", "2026-01-15", False)   # reply not yet at start
    starts = []
    for now in ["2026-01-15", "2026-01-20", "2026-01-25", "2026-01-30", "2026-02-04", "2026-02-09"]:
        s = due(tmp_path / now, {"dr-a": text}, now)["steps"][0]
        starts.append((s["start"], s["end"], s["engaged"]))
    assert starts == [("2026-01-15", "2026-01-20", True), ("2026-01-20", "2026-01-25", True),
                      ("2026-01-25", "2026-01-30", True), ("2026-01-30", "2026-02-04", True),
                      ("2026-02-04", "2026-02-09", True), ("2026-02-09", "2026-02-16", False)]


def test_substitution_for_tier_and_shared_clients(tmp_path):
    # week 10 is care-collaboration, week 11 the in-person visit
    std = met("2026-01-01")
    high = met("2026-01-01", "tier: high\nshared_clients:\n  - {client: J.M., start: 2026-02-01}\n")
    for pid, text, now, planned, play in [
        ("std-10", std, "2026-03-05", "care-collaboration", "resource-email"),
        ("std-11", std, "2026-03-12", "in-person-visit", "check-in"),
        ("high-10", high, "2026-03-05", "care-collaboration", "care-collaboration"),
        ("high-11", high, "2026-03-12", "in-person-visit", "in-person-visit")]:
        s = due(tmp_path / pid, {"dr-a": text}, now)["steps"][0]
        assert (s["planned"], s["play"]) == (planned, play), pid


def test_substitution_happens_once(tmp_path):
    """The `otherwise` play is used as it is, even when it has requirements of its own: a
    standard-tier partner without shared clients gets care-collaboration in week 11."""
    from conftest import PLAYBOOK
    playbook = PLAYBOOK + "plays:\n  in-person-visit: {otherwise: care-collaboration}\n"
    s = due(tmp_path, {"dr-a": met("2026-01-01")}, "2026-03-12", playbook=playbook)["steps"][0]
    assert (s["week"], s["planned"], s["play"]) == (11, "in-person-visit", "care-collaboration")


def test_future_anchor_restart_and_status(tmp_path):
    parts = {"future": met("2026-03-01"), "paused": met("2026-01-01", "status: paused\n"),
             "restarted": met("2025-06-01", "restart: 2026-01-15\n")}
    out = due(tmp_path, parts, "2026-01-16")
    assert [(s["partner"], s["step"], s["start"]) for s in out["steps"]] == [("restarted", 1, "2026-01-15")]
    assert out["prospects"] == []


def test_step_done_by_a_touch_of_its_kind(tmp_path):
    # week 4 (referral-filter) starts 01-22: a personal touch does not count, a filter touch does
    personal = met("2026-01-01", "history:\n  - {date: 2026-01-23, play: check-in}\n")
    filt = met("2026-01-01", "history:\n  - {date: 2026-01-23, play: referral-filter}\n")
    assert due(tmp_path / "a", {"dr-a": personal}, "2026-01-24")["steps"][0]["status"] == "due"
    assert due(tmp_path / "b", {"dr-a": filt}, "2026-01-24")["steps"][0]["status"] == "done"


def test_prospect_follow_up(tmp_path):
    parts = {"new": "name: N\nkind: school\n",
             "fresh": "name: F\nkind: school\nhistory:\n  - {date: 2026-01-03, play: intro-email}\n",
             "idle": "name: I\nkind: school\nhistory:\n  - {date: 2026-01-02, play: intro-email}\n"}
    out = due(tmp_path, parts, "2026-01-10")
    assert [(p["partner"], p["stage"], p["follow_up"]) for p in out["prospects"]] == [
        ("fresh", "contacted", False), ("idle", "contacted", True), ("new", "new", False)]


# --- warnings -------------------------------------------------------------------------------

def warnings(out):
    return sorted((w["partner"], w["warning"]) for w in out["warnings"])


@pytest.mark.parametrize("now,cold", [("2026-01-22", False), ("2026-01-23", True)])
def test_cold_after_21_days(tmp_path, now, cold):
    _, out = check(tmp_path, {"dr-a": met("2026-01-01")}, now)
    assert (("dr-a", "cold") in warnings(out)) == cold


@pytest.mark.parametrize("now,stale", [("2026-03-31", False), ("2026-04-01", True)])
def test_stale_referrer_at_90_days(tmp_path, now, stale):
    text = "name: A\nkind: pcp\nstatus: active\n" + referral(received="2026-01-01", acknowledged="2026-01-01",
                                                            family_contacted="2026-01-01").split("kind: pcp\n")[1]
    _, out = check(tmp_path, {"dr-a": text}, now)
    assert (("dr-a", "stale-referrer") in warnings(out)) == stale


def test_burst_silence_and_generic_only(tmp_path):
    burst = met("2026-01-01", "history:\n" + "".join(f"  - {{date: 2026-01-0{d}, play: check-in}}\n" for d in (2, 4, 6)))
    generic = met("2026-01-01", "history:\n  - {date: 2026-02-01, play: referral-filter}\n"
                                "  - {date: 2026-02-10, play: referral-filter}\n")
    _, out = check(tmp_path, {"burst": burst, "generic": generic}, "2026-02-12")
    w = warnings(out)
    assert ("burst", "burst-silence") in w and ("generic", "generic-only") in w
    assert ("generic", "burst-silence") not in w


def test_salesy_note_in_a_personal_play(tmp_path):
    notes = ["Asked her to send us any referrals for speech kids",
             "Please refer your families to us",
             "We are always looking for new referrals"]
    fine = ["Shared the referral guide she asked for", "She asked how our intake works; explained the steps",
            "Talked about how families get referred to the county program"]
    hist = "history:\n" + "".join(f"  - {{date: 2026-01-0{i + 2}, play: check-in, note: \"{n}\"}}\n"
                                  for i, n in enumerate(notes + fine))
    _, out = check(tmp_path, {"dr-a": met("2026-01-01", hist)}, "2026-01-10")
    lines = [w["line"] for w in out["warnings"] if w["warning"] == "salesy"]
    assert lines == [6, 7, 8]


def test_gift_cap_and_duplicate_npi(tmp_path):
    pb = "compliance:\n  gift_cap_per_year: 50\n"
    gifts = met("2026-01-01", "npi: '1245319599'\ngifts:\n  - {date: 2026-01-02, value: 30}\n"
                              "  - {date: 2026-01-05, value: 25}\n")
    other = "name: B\nkind: pcp\nnpi: '1245319599'\n"
    _, out = check(tmp_path, {"dr-a": gifts, "dr-b": other}, "2026-01-10", playbook=pb)
    w = warnings(out)
    assert ("dr-a", "gift-cap") in w and ("dr-a", "duplicate-npi") in w and ("dr-b", "duplicate-npi") in w


def test_no_warnings_for_paused_partners(tmp_path):
    _, out = check(tmp_path, {"dr-a": met("2025-01-01", "status: paused\n")}, "2026-01-10")
    assert out["warnings"] == []


# --- metrics --------------------------------------------------------------------------------

def test_metric_windows_are_half_open(tmp_path):
    text = ("name: A\nkind: pcp\nreferrals:\n"
            "  - {client: A.A., received: 2026-01-01, acknowledged: 2026-01-01, family_contacted: 2026-01-01}\n"
            "  - {client: B.B., received: 2026-01-02, acknowledged: 2026-01-02, family_contacted: 2026-01-02, "
            "intake: 2026-01-09}\n")
    ws = make_workspace(tmp_path, {"dr-a": text})
    m = json.loads(nk("--now", "2026-01-31", "metrics", "--format", "json", cwd=ws).out)["metrics"]
    # last 30 days = (01-01, 01-31]: 01-01 is out
    assert m["referrals_per_month"] == {"value": 1, "target": [4, None], "status": "below"}
    assert m["referral_to_intake"]["value"] == 0.5
    assert m["active_partners"]["value"] == 1
    assert m["compliance"] == {"value": None, "target": None, "status": None}
