"""Metrics trends, monthly and quarterly reviews, and the 90-day plan. Pure data first
(used by the site and by `metrics --month/--quarter`), then the pages."""
from __future__ import annotations

import csv
import io
import json
import re
from bisect import bisect_left, bisect_right
from collections import Counter, defaultdict
from datetime import date, timedelta
from operator import itemgetter

from . import charts
from .metrics import DEFINITIONS, LABELS
from .rotation import has_shared_client, on_rotation
from .textout import fmt_target, fmt_value
from .timeutil import after, is_past, plus_hours

DERIVED_PLAY = {"acknowledged": "referral-thank-you", "loop_closed": "loop-closure", "thanked": "thank-you-gift",
                "referrer_told": "bounce-notice", "receiver_told": "bounce-notice", "care update": "care-collaboration"}


# -- periods ------------------------------------------------------------------------------------

def month_bounds(y, m):
    start = date(y, m, 1)
    end = date(y + (m == 12), m % 12 + 1, 1)
    return start, end


def quarter_bounds(y, q):
    return date(y, 3 * q - 2, 1), month_bounds(y, 3 * q)[1]


def parse_month(text):
    m = re.fullmatch(r"(\d{4})-(\d{2})", text or "")
    if not m or not 1 <= int(m.group(2)) <= 12:
        return None
    return int(m.group(1)), int(m.group(2))


def parse_quarter(text):
    m = re.fullmatch(r"(\d{4})-?Q([1-4])", (text or "").upper())
    return (int(m.group(1)), int(m.group(2))) if m else None


def last_months(today, n=12):
    y, m = today.year, today.month
    out = []
    for _ in range(n):
        out.append((y, m))
        y, m = (y - 1, 12) if m == 1 else (y, m - 1)
    return out[::-1]


# -- facts over a period ------------------------------------------------------------------------

_FILE_ORDER = itemgetter(1, 2)   # (partner's place, item's place): the order of a plain scan


class Facts:
    """Touches, referrals and steps of the workspace, indexed by day so that each period's
    question is a binary search instead of a pass over every partner. Results keep the
    workspace's order (partner by partner, in file order), as a plain scan would."""

    def __init__(self, a):
        self.a, self.ws, self.pb, self.today = a, a.workspace, a.workspace.playbook, a.today
        self.refs = [(p, r) for p in self.ws.partners for r in p.referrals if r.received.day <= self.today]
        touches = sorted(((t.day, i, j, p, t) for i, p in enumerate(self.ws.partners)
                          for j, t in enumerate(self.a.touches[p.id].all)), key=lambda x: x[:3])
        self._touch_days = [x[0] for x in touches]
        self._touches = touches
        ends = sorted(((s.end, i, j, p, s) for i, p in enumerate(self.ws.partners) if p.status == "active"
                       for j, s in enumerate(self.a.steps.get(p.id, [])) if s.end <= self.today),
                      key=lambda x: x[:3])
        self._step_ends = [x[0] for x in ends]
        self._steps = ends
        replies = sorted((h.replied.day, p.id) for p in self.ws.partners for h in p.history if h.replied)
        self._reply_days = [d for d, _ in replies]
        self._replies = replies
        self.refs.sort(key=lambda pr: pr[1].received.day)   # stable: same-day referrals keep file order
        self._ref_days = [r.received.day for _, r in self.refs]
        loops = list(enumerate(a.loops))
        self._by_deadline = sorted(loops, key=lambda il: il[1].deadline.day)
        self._deadline_days = [x.deadline.day for _, x in self._by_deadline]
        self._by_received = sorted(loops, key=lambda il: il[1].received.day)
        self._received_days = [x.received.day for _, x in self._by_received]

    @staticmethod
    def _in_order(rows):
        return [(x[3], x[4]) for x in sorted(rows, key=_FILE_ORDER)]

    def touches(self, start, end):
        lo, hi = bisect_left(self._touch_days, start), bisect_left(self._touch_days, end)
        return self._in_order(self._touches[lo:hi])

    def replies(self, start, end):
        """partner id -> replies received in [start, end)."""
        lo, hi = bisect_left(self._reply_days, start), bisect_left(self._reply_days, end)
        return Counter(pid for _, pid in self._replies[lo:hi])

    def steps_ending(self, start, end):
        """Steps of active partners whose window closed in (start, end], by today at the latest."""
        lo, hi = bisect_right(self._step_ends, start), bisect_right(self._step_ends, end)
        return self._in_order(self._steps[lo:hi])

    def referrals(self, start, end):
        """(partner, referral) received in [start, end), by day, same-day ones in file order."""
        return self.refs[bisect_left(self._ref_days, start):bisect_left(self._ref_days, end)]

    def loops(self, start, end):
        """The loops due or received in [start, end), in the analysis' order."""
        hit = dict(self._by_deadline[bisect_left(self._deadline_days, start):bisect_left(self._deadline_days, end)])
        hit.update(self._by_received[bisect_left(self._received_days, start):bisect_left(self._received_days, end)])
        return [x for _, x in sorted(hit.items(), key=lambda kv: kv[0])]

    def meetings(self, start, end):
        return [p for p in self.ws.partners if p.met and start <= p.met < end and p.met <= self.today]

    def ack_on_time(self, start, end):
        """(on time, counted) for referrals received in [start, end) whose deadline passed or that were acknowledged."""
        on, n = 0, 0
        for _, r in self.referrals(start, end):
            deadline = plus_hours(r.received, self.pb.loops["acknowledge_hours"])
            ack = r.acknowledged if r.acknowledged is not None and r.acknowledged.day <= self.today else None
            if ack is not None or is_past(deadline, self.a.now):
                n += 1
                on += ack is not None and not after(ack, deadline)
        return on, n

    def minutes(self, start, end):
        total = 0
        for p, t in self.touches(start, end):
            if t.source == "warm-introduction" and t.from_partner != p.id:
                continue  # the introduction's time is counted once, on the partner who logged it
            play = self.pb.plays.get(DERIVED_PLAY.get(t.source, t.source))
            total += play.minutes if play else 0
        return total

    def intakes(self, start, end):
        return [(p, r) for p, r in self.refs if r.intake and start <= r.intake.day < end and r.intake.day <= self.today]


def facts(a) -> Facts:
    """The analysis' Facts, built once: the site asks for dozens of months and quarters.
    Kept in the instance dict, as functools.cached_property does, since Analysis is frozen."""
    found = a.__dict__.get("_review_facts")
    if found is None:
        found = a.__dict__["_review_facts"] = Facts(a)
    return found


def plural(n, word, many=None):
    return f"{n} {word if n == 1 else (many or word + 's')}"


def ratio(num, den):
    return None if den == 0 else round(num / den, 4)


# -- trends -------------------------------------------------------------------------------------

def trends(a):
    f = facts(a)
    months = last_months(a.today)
    labels = [date(y, m, 1).strftime("%b %y") for y, m in months]
    bounds = [month_bounds(y, m) for y, m in months]
    by_partner = [Counter(p.id for p, _ in f.referrals(s, e)) for s, e in bounds]
    totals = Counter()
    for c in by_partner:
        totals.update(c)
    top = [pid for pid, _ in sorted(totals.items(), key=lambda kv: (-kv[1], kv[0]))[:5]]
    names = {p.id: p.name for p in a.workspace.partners}
    ref_series = [(names[pid], [c.get(pid, 0) for c in by_partner]) for pid in top]
    if len(totals) > len(top):
        ref_series.append(("Others", [sum(v for k, v in c.items() if k not in top) for c in by_partner]))
    touch_rows = [f.touches(s, e) for s, e in bounds]
    touch_series = [("Personal", [sum(1 for _, t in rows if not t.filter) for rows in touch_rows]),
                    ("Referral filter", [sum(1 for _, t in rows if t.filter) for rows in touch_rows])]
    comp = []
    for s, e in bounds:
        st = f.steps_ending(s, e)
        comp.append(ratio(sum(x.status == "done" for _, x in st), len(st)))
    closure = [ratio(*f.ack_on_time(s, e)) for s, e in bounds]
    return [
        {"id": "referrals", "title": "Referrals received per month, by source", "labels": labels,
         "series": ref_series or [("Referrals", [0] * len(labels))], "percent": False},
        {"id": "touches", "title": "Touches per month: personal and referral filter", "labels": labels,
         "series": touch_series, "percent": False},
        {"id": "compliance", "title": "Playbook compliance per month (steps done of steps that ended)",
         "labels": labels, "series": [("Compliance", comp)], "percent": True},
        {"id": "closure", "title": "Loop closure per month (referrals acknowledged on time)", "labels": labels,
         "series": [("Acknowledged on time", closure)], "percent": True},
    ]


def chart_blocks(a):
    out = []
    for t in trends(a):
        rows = [{"label": lab, "cells": [_cell(vals[i], t["percent"]) for _, vals in t["series"]]}
                for i, lab in enumerate(t["labels"])]
        out.append({"id": t["id"], "title": t["title"], "series": [n for n, _ in t["series"]], "table": rows,
                    "svg": charts.bars(t["id"], t["title"], t["labels"], t["series"], percent=t["percent"])})
    return out


def _cell(v, percent):
    if v is None:
        return "n/a"
    return f"{v * 100:.0f}%" if percent else f"{v:g}"


# -- monthly review -------------------------------------------------------------------------------

def monthly(a, y, m):
    f = facts(a)
    start, end = month_bounds(y, m)
    end_c = min(end, a.today + timedelta(days=1))
    touches = f.touches(start, end_c)
    refs = f.referrals(start, end_c)
    steps = f.steps_ending(start, end_c)
    loops = f.loops(start, end_c)
    open_loops = [x for x in loops if x.state in ("overdue", "late")]
    per = defaultdict(lambda: {"touches": 0, "replies": 0, "referrals": 0})
    for p, t in touches:
        per[p.id]["touches"] += 1
    for pid, n in f.replies(start, end_c).items():
        per[pid]["replies"] += n
    for p, _ in refs:
        per[p.id]["referrals"] += 1
    names = {p.id: p for p in a.workspace.partners}
    engaged = sorted((pid for pid, v in per.items() if v["referrals"] or v["replies"]),
                     key=lambda pid: (-per[pid]["referrals"], -per[pid]["replies"], -per[pid]["touches"], pid))[:5]
    attention = []
    missed_by = Counter(q.id for q, s in steps if s.status == "missed")
    for p in a.workspace.partners:
        if not (p.status == "active" and p.met and p.anchor < end_c):
            continue
        missed = missed_by[p.id]
        reasons = []
        if per[p.id]["touches"] == 0:
            reasons.append("no touch this month")
        if missed >= 2:
            reasons.append(f"{missed} missed steps")
        if reasons:
            attention.append({"partner": p.id, "name": p.name, "why": ", ".join(reasons)})
    return {
        "period": f"{y}-{m:02d}", "title": date(y, m, 1).strftime("%B %Y"), "start": start.isoformat(),
        "end": (end - timedelta(days=1)).isoformat(), "partial": end > a.today + timedelta(days=1),
        "touches": {"total": len(touches), "personal": sum(1 for _, t in touches if not t.filter),
                    "filter": sum(1 for _, t in touches if t.filter),
                    "steps_done": sum(1 for _, s in steps if s.status == "done"), "steps": len(steps)},
        "meetings": [{"partner": p.id, "name": p.name, "met": p.met.isoformat()} for p in f.meetings(start, end_c)],
        "referrals": [{"partner": p.id, "name": p.name, "client": r.client, "received": r.received.iso(),
                       "outcome": r.outcome or "pending"} for p, r in sorted(refs, key=lambda x: (x[1].received.dt, x[0].id))],
        "by_source": [{"partner": pid, "name": names[pid].name, "count": n}
                      for pid, n in sorted(Counter(p.id for p, _ in refs).items(), key=lambda kv: (-kv[1], kv[0]))],
        "loops_closed": not open_loops,
        "loops_missed": [{"partner": x.partner, "name": names[x.partner].name, "loop": x.loop, "client": x.client,
                          "deadline": x.deadline.iso(), "state": x.state} for x in open_loops],
        "engaged": [{"partner": pid, "name": names[pid].name, **per[pid]} for pid in engaged],
        "attention": attention,
    }


# -- quarterly review -------------------------------------------------------------------------------

def quarterly(a, y, q):
    f = facts(a)
    pb = a.workspace.playbook
    start, end = quarter_bounds(y, q)
    end_c = min(end, a.today + timedelta(days=1))
    asof = end_c - timedelta(days=1)
    refs = f.referrals(start, end_c)
    names = {p.id: p for p in a.workspace.partners}
    top = sorted(Counter(p.id for p, _ in refs).items(), key=lambda kv: (-kv[1], kv[0]))[:3]
    stale = []
    for p in a.workspace.partners:
        if not (p.status == "active" and p.met and p.anchor <= asof):
            continue
        received = [r.received.day for r in p.referrals if r.received.day <= asof]
        last = max(received) if received else None
        known = (asof - p.anchor).days >= 90   # a partner met last month cannot be stale yet
        if (last is None and known) or (last is not None and (asof - last).days >= 90):
            play = "care-collaboration" if has_shared_client(p, asof, a.today) else "reverse-referral"
            stale.append({"partner": p.id, "name": p.name, "last_referral": last.isoformat() if last else None,
                          "suggested": pb.plays[play].name})
    prospects = Counter(stage for _, stage, _, _ in a.prospects())
    weeks = max(1, (end_c - start).days) / 7
    meetings = f.meetings(start, end_c)
    mpw = round(len(meetings) / weeks, 2)
    by_owner = defaultdict(lambda: [0, 0])
    for p, s in f.steps_ending(start, end_c):
        by_owner[p.owner or "unassigned"][0] += s.status == "done"
        by_owner[p.owner or "unassigned"][1] += 1
    intakes = f.intakes(start, end_c)
    value = pb.practice.get("value_per_intake")
    minutes = f.minutes(start, end_c)
    hours = round(minutes / 60, 1)
    worth = len(intakes) * value if value is not None else None
    return {
        "period": f"{y}-Q{q}", "title": f"Q{q} {y}", "start": start.isoformat(),
        "end": (end - timedelta(days=1)).isoformat(), "partial": end > a.today + timedelta(days=1),
        "top_sources": [{"partner": pid, "name": names[pid].name, "count": n} for pid, n in top],
        "referrals": len(refs),
        "stale": stale,
        "pipeline": {"new": prospects.get("new", 0), "contacted": prospects.get("contacted", 0),
                     "meetings": len(meetings), "meetings_per_week": mpw,
                     "target": pb.targets.get("meetings_per_week")},
        "compliance_by_owner": [{"owner": o, "done": d, "steps": n, "share": ratio(d, n)}
                                for o, (d, n) in sorted(by_owner.items())],
        "roi": {"intakes": len(intakes), "value_per_intake": value, "value": worth, "minutes": minutes,
                "hours": hours, "per_hour": round(worth / hours, 2) if worth is not None and hours else None},
    }


# -- the 90-day plan ----------------------------------------------------------------------------------

PLAN = [
    (1, "Build the list: 20 to 30 providers in your area, diagnostic sources and complementary specialties."),
    (2, "Send personal introduction emails to your top 10 prospective partners."),
    (3, "Hold your first 2 to 3 meetings with the four questions, and leave each with a next step."),
    (4, "Send a follow-up resource to every provider you met, and your first referral filter email."),
    (5, "Add 10 more providers to the list and start reaching out to them."),
    (6, "Start the 20-week calendar with your warmest contacts."),
    (7, "Make your first reverse referral, and tell the provider."),
    (8, "Send care-collaboration updates on shared clients, and your second referral filter email."),
    (9, "Hold your first monthly review."),
    (10, "Double down: more touches with your top 5 partners."),
    (11, "Try an advanced play: co-created resource, provider spotlight or warm introduction."),
    (12, "Hold your first quarterly review and set goals for the next 90 days."),
]


def plan(a):
    ws, today = a.workspace, a.today
    mets = sorted(p.met for p in ws.partners if p.met)
    anchor = ws.playbook.practice.get("started") or (mets[0] if mets else None)
    hist = sorted(((h.date.day, h.play, p) for p in ws.partners for h in p.history if h.date.day <= today),
                  key=lambda x: x[0])

    def nth(plays, n):
        days = [d for d, play, _ in hist if play in plays]
        return days[n - 1] if len(days) >= n else None

    met_with_step = sorted(p.met for p in ws.partners if p.met and p.met <= today and
                           any(s.promised and s.promised >= p.met for s in p.next_steps))
    met_all = [p for p in ws.partners if p.met and p.met <= today]
    followed = [p for p in met_all if any(h.play == "resource-email" and h.date.day >= p.met for h in p.history)]
    updates = sorted(u for p in ws.partners for c in p.shared_clients for u in c.updates if u <= today)
    filters = sorted({d for d, play, _ in hist if ws.playbook.plays[play].is_filter})
    n = len(ws.partners)
    checks = {
        1: (n >= 20, f"{n} partner files"),
        2: (nth({"intro-email"}, 10) is not None,
            f"{sum(1 for _, play, _ in hist if play == 'intro-email')} introduction emails logged"),
        3: (len(met_with_step) >= 2, f"{len(met_with_step)} meetings with a next step"),
        4: (bool(met_all) and len(followed) == len(met_all) and bool(filters),
            f"{len(followed)} of {len(met_all)} met partners sent a resource; "
            f"{'first filter email ' + filters[0].isoformat() if filters else 'no filter email yet'}"),
        5: (n >= 30, f"{n} partner files (20 + 10 is 30)"),
        6: (any(on_rotation(p, today) for p in ws.partners),
            f"{sum(1 for p in ws.partners if on_rotation(p, today))} partners on the rotation"),
        7: (nth({"reverse-referral"}, 1) is not None, f"first reverse referral {nth({'reverse-referral'}, 1) or 'not yet'}"),
        8: (bool(updates) and len(filters) >= 2, f"{len(updates)} care updates sent; {len(filters)} filter email dates"),
        9: (None, "a monthly review page is ready under Reviews"),
        10: (None, "your call: see Metrics for touches per partner"),
        11: (nth({"co-created-resource", "provider-spotlight", "warm-introduction"}, 1) is not None,
             f"first advanced play {nth({'co-created-resource', 'provider-spotlight', 'warm-introduction'}, 1) or 'not yet'}"),
        12: (None, "a quarterly review page is ready under Reviews"),
    }
    items = []
    for week, text in PLAN:
        ok, evidence = checks[week]
        start = anchor + timedelta(weeks=week - 1) if anchor else None
        state = "manual" if ok is None else ("done" if ok else ("due" if start and start <= today else "open"))
        items.append({"week": week, "text": text, "state": state, "evidence": evidence,
                      "start": start.isoformat() if start else None})
    return {"anchor": anchor.isoformat() if anchor else None,
            "source": "practice.started" if ws.playbook.practice.get("started") else "first partner meeting",
            "weeks": items}


# -- pages ------------------------------------------------------------------------------------------

def metric_rows(a):
    return [{"name": k, "label": LABELS[k], "definition": DEFINITIONS[k], "value": fmt_value(k, m["value"]),
             "target": fmt_target(k, m["target"]), "status": m["status"] or "none",
             "status_label": {"below": "below target", "above": "above target", "on-target": "on target"}.get(
                 m["status"], "no target")} for k, m in a.metrics.items()]


def months_with_data(a):
    days = [t.day for ts in a.touches.values() for t in ts.all]
    days += [r.received.day for p in a.workspace.partners for r in p.referrals if r.received.day <= a.today]
    days += [p.met for p in a.workspace.partners if p.met and p.met <= a.today]
    have = {(d.year, d.month) for d in days}
    have.add((a.today.year, a.today.month))
    return sorted(have, reverse=True)


def review_pages(site):
    a = site.a
    site.render("metrics.html", "metrics.html.j2", title="Metrics", rows=metric_rows(a), charts=chart_blocks(a))
    months = months_with_data(a)
    quarters = sorted({(y, (m - 1) // 3 + 1) for y, m in months}, reverse=True)
    for y, m in months:
        site.render(f"reviews/{y}-{m:02d}.html", "review-month.html.j2", title=f"Monthly review: "
                    f"{date(y, m, 1).strftime('%B %Y')}", r=monthly(a, y, m))
    for y, q in quarters:
        site.render(f"reviews/{y}-Q{q}.html", "review-quarter.html.j2", title=f"Quarterly review: Q{q} {y}",
                    r=quarterly(a, y, q))
    site.render("plan.html", "plan.html.j2", title="90-day plan", plan=plan(a))
    site.render("reviews/index.html", "reviews.html.j2", title="Reviews", plan=True,
                months=[{"href": f"{y}-{m:02d}.html", "label": date(y, m, 1).strftime("%B %Y")} for y, m in months],
                quarters=[{"href": f"{y}-Q{q}.html", "label": f"Q{q} {y}"} for y, q in quarters])


# -- the terminal ---------------------------------------------------------------------------------------

def review_cli(a, month, quarter, fmt, echo=print):
    if month is not None:
        ym = parse_month(month)
        if ym is None:
            return f"--month: expected a month like 2026-05, got '{month}'"
        data = monthly(a, *ym)
    else:
        yq = parse_quarter(quarter)
        if yq is None:
            return f"--quarter: expected a quarter like 2026Q2, got '{quarter}'"
        data = quarterly(a, *yq)
    if fmt == "json":
        echo(json.dumps(data, indent=1))
    elif fmt == "csv":
        echo(to_csv(data), end="")
    else:
        for line in (month_lines(data) if month is not None else quarter_lines(data)):
            echo(line)
    return None


def to_csv(data) -> str:
    """One row per fact: section, key, value (flat, for a spreadsheet)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["section", "item", "field", "value"])

    def walk(section, value, item=""):
        if isinstance(value, dict):
            for k, v in value.items():
                if isinstance(v, (dict, list)):
                    walk(f"{section}.{k}" if section else k, v, item)
                else:
                    w.writerow([section, item, k, "" if v is None else v])
        elif isinstance(value, list):
            for i, v in enumerate(value, 1):
                walk(section, v, str(i)) if isinstance(v, dict) else w.writerow([section, str(i), "", v])
        else:
            w.writerow([section, item, "", value])
    walk("", data)
    return buf.getvalue()


def month_lines(r):
    t = r["touches"]
    out = [f"Monthly review: {r['title']}{' (so far)' if r['partial'] else ''}",
           f"1. Touches: {t['total']} ({t['personal']} personal, {t['filter']} referral filter); "
           f"{t['steps_done']} of {t['steps']} rotation steps done",
           f"2. New provider meetings: {len(r['meetings'])}" +
           (": " + ", ".join(f"{x['name']} ({x['met']})" for x in r["meetings"]) if r["meetings"] else ""),
           f"3. Referrals: {len(r['referrals'])}" +
           (" from " + ", ".join(f"{x['name']} ({x['count']})" for x in r["by_source"]) if r["by_source"] else ""),
           "4. Every loop closed on time: " + ("yes" if r["loops_closed"] else "no")]
    for x in r["loops_missed"]:
        out.append(f"     {x['state']}: {x['loop']} for {x['client']} ({x['name']}), due {x['deadline']}")
    out.append("5. Most engaged: " + (", ".join(f"{x['name']} ({plural(x['referrals'], 'referral')}, "
                                               f"{plural(x['replies'], 'reply', 'replies')})"
                                               for x in r["engaged"]) or "nobody replied or referred"))
    out.append("   Need attention: " + (", ".join(f"{x['name']} ({x['why']})" for x in r["attention"]) or "nobody"))
    return out


def quarter_lines(r):
    roi, pipe = r["roi"], r["pipeline"]
    out = [f"Quarterly review: {r['title']}{' (so far)' if r['partial'] else ''}",
           "1. Top referral sources: " + (", ".join(f"{x['name']} ({x['count']})" for x in r["top_sources"]) or "none"),
           f"2. Stale relationships (no referral in 90 days): {len(r['stale'])}"]
    for x in r["stale"]:
        last = f"last referral {x['last_referral']}" if x["last_referral"] else "no referral yet"
        out.append(f"     {x['name']}: {last}; try a {x['suggested']}")
    out.append(f"3. Pipeline: {pipe['new']} new and {pipe['contacted']} contacted prospects; "
               f"{plural(pipe['meetings'], 'meeting')} ({pipe['meetings_per_week']} a week)")
    out.append("4. Compliance by owner: " + (", ".join(
        f"{x['owner']} {x['done']}/{x['steps']}" for x in r["compliance_by_owner"]) or "no steps ended"))
    value = f"{roi['value']:,}" if roi["value"] is not None else "n/a (set practice.value_per_intake)"
    out.append(f"5. ROI: {plural(roi['intakes'], 'intake')} worth {value} for {roi['hours']} hours of outreach")
    return out
