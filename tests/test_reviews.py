"""Metrics trends, monthly and quarterly reviews, the 90-day plan: numbers traceable to the records."""
import csv
import io
import json
import re

from conftest import DEMO_NOW, nk


def review(demo, *args, fmt="json"):
    r = nk("--now", DEMO_NOW, "metrics", *args, "--format", fmt, cwd=demo)
    assert r.code == 0, r.err
    return json.loads(r.out) if fmt == "json" else r.out


def test_three_numbers_recomputed_by_hand(demo):
    """Read the demo's partner files directly and recompute what the reviews say."""
    nov_received, q4_intakes, nov_meetings = [], [], []
    for path in sorted((demo / "partners").glob("*.md")):
        text = path.read_text()
        nov_received += re.findall(r"^    received: (2026-11-\d\d)", text, re.M)
        nov_received += re.findall(r"received: (2026-11-\d\d)\}", text)
        q4_intakes += [d for d in re.findall(r"^    intake: (2026-1[0-2]-\d\d)", text, re.M) if d <= "2026-12-03"]
        nov_meetings += re.findall(r"^met: (2026-11-\d\d)", text, re.M)
    month = review(demo, "--month", "2026-11")
    quarter = review(demo, "--quarter", "2026Q4")
    assert len(month["referrals"]) == len(nov_received) == 5
    assert quarter["roi"]["intakes"] == len(q4_intakes) == 2
    assert quarter["roi"]["value"] == 2 * 2400
    assert [m["met"] for m in month["meetings"]] == nov_meetings == ["2026-11-23"]


def test_monthly_review_answers_the_five_questions(demo):
    text = review(demo, "--month", "2026-11", fmt="text")
    lines = text.splitlines()
    assert lines[0] == "Monthly review: November 2026"
    assert [line[:3] for line in lines if re.match(r"^\d\. ", line)] == ["1. ", "2. ", "3. ", "4. ", "5. "]
    assert "3. Referrals: 5 from Dr. Marcus Lee (2)" in text
    assert "4. Every loop closed on time: no" in text
    assert "overdue: acknowledge for K.W. (Dr. Marcus Lee), due 2026-11-29T14:00" in text


def test_quarterly_review(demo):
    q = review(demo, "--quarter", "2026Q4")
    assert [t["partner"] for t in q["top_sources"]] == ["dr-elena-ruiz", "dr-marcus-lee", "dr-priya-shah"]
    stale = {s["partner"]: s for s in q["stale"]}
    assert stale["dr-nina-okafor"]["last_referral"] == "2026-07-20"
    assert "lakeside-early-intervention" not in stale          # met 10 days ago: not stale yet
    assert {s["suggested"] for s in q["stale"]} <= {"Reverse Referral", "Care Collaboration Update"}
    assert {o["owner"] for o in q["compliance_by_owner"]} == {"devon", "maria"}


def test_review_csv_is_a_spreadsheet(demo):
    rows = list(csv.reader(io.StringIO(review(demo, "--quarter", "2026Q4", fmt="csv"))))
    assert rows[0] == ["section", "item", "field", "value"]
    assert ["roi", "", "intakes", "2"] in rows
    metrics = list(csv.reader(io.StringIO(nk("--now", DEMO_NOW, "metrics", "--format", "csv", cwd=demo).out)))
    assert metrics[0] == ["metric", "value", "target_low", "target_high", "status"]
    assert ["referrals_per_month", "5", "4", "", "on-target"] in metrics


def test_bad_period_is_a_usage_error(demo):
    for args in (["--month", "2026-13"], ["--quarter", "2026Q5"], ["--month", "2026-11", "--quarter", "2026Q4"]):
        r = nk("--now", DEMO_NOW, "metrics", *args, cwd=demo)
        assert r.code == 2 and "Traceback" not in r.err and r.err.strip()


def test_review_pages_and_charts(demo):
    assert nk("--now", DEMO_NOW, "build", cwd=demo).code == 0
    site = demo / "site"
    assert (site / "reviews" / "2026-12.html").exists() and (site / "reviews" / "2026-11.html").exists()
    assert (site / "reviews" / "2026-Q4.html").exists() and (site / "reviews" / "2025-Q4.html").exists()
    metrics = (site / "metrics.html").read_text()
    assert metrics.count("<svg class=\"chart\"") == 4
    for title in ("Referrals received per month, by source", "Touches per month: personal and referral filter",
                  "Playbook compliance per month", "Loop closure per month"):
        assert f"<title id=" in metrics and title in metrics
    assert metrics.count("The numbers behind this chart") == 4     # a text alternative for every chart
    plan = (site / "plan.html").read_text()
    assert "Week 1 began 2026-03-02 (from the practice.started)" in plan
    assert "first reverse referral 2026-04-13" in plan


def test_partner_health_badges(demo):
    nk("--now", DEMO_NOW, "build", cwd=demo)
    page = (demo / "site" / "partners" / "index.html").read_text()
    row = lambda pid: page.split(f'href="{pid}.html"')[1].split("</tr>")[0]  # noqa: E731
    assert 'class="badge s-cold">cold<' in row("dr-grace-kim")
    assert 'class="badge s-stale">stale referrer<' in row("dr-nina-okafor")
    assert 'class="badge s-due">due<' in row("dr-priya-shah")
    assert 'class="badge s-paused">paused<' in row("harbor-counseling")
    assert 'class="badge s-prospect">prospect<' in row("sunrise-daycare")
