"""Partner files: raw YAML nodes -> (Partner | None, diagnostics). Pure."""
from __future__ import annotations

import re
from datetime import date, timedelta

from . import schema as S
from .diagnostics import WARNING, Diagnostic, suggest
from .frontmatter import split
from .model import KINDS, OUTCOMES, STATUSES, TIERS, Gift, HistoryEntry, NextStep, Partner, Referral, SharedClient
from .timeutil import Moment, before_or_same
from .yamlnodes import Y, load

ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")
INITIALS = re.compile(r"^[A-Z]\.?(?:[A-Z]\.?){0,2}$")

TOP_KEYS = ("name", "practice", "kind", "specialty", "email", "phone", "fax", "address", "npi", "tier",
            "owner", "status", "met", "restart", "tags", "staff", "answers", "next_steps", "history",
            "referrals", "shared_clients", "gifts")
TEXT_FIELDS = ("name", "practice", "specialty", "email", "phone", "fax", "address", "owner")
ANSWER_KEYS = ("serve", "challenge", "process", "easier")
STAFF_KEYS = ("name", "role", "email", "phone", "note")
HISTORY_KEYS = ("date", "play", "note", "replied", "with")
REFERRAL_MOMENTS = ("received", "family_contacted", "acknowledged", "intake", "first_session",
                    "loop_closed", "thanked", "bounced", "referrer_told", "receiver_told")
REFERRAL_KEYS = ("client",) + REFERRAL_MOMENTS + ("outcome", "reason", "bounced_to")
BOOKED_AHEAD = ("intake", "first_session")
SHARED_KEYS = ("client", "goals", "start", "updates", "progress", "next", "ended")
NEXT_KEYS = ("what", "promised", "due", "done")
GIFT_KEYS = ("date", "what", "value")

# things that look like patient data in free notes (a warning, never an error)
PHI_PATTERNS = [
    (re.compile(r"\b(DOB|D\.O\.B\.|date of birth|born on)\b", re.I), "a date of birth"),
    (re.compile(r"\b(MRN|medical record (number|no))\b", re.I), "a medical record number"),
    (re.compile(r"\b\d{3}-\d{2}-\d{4}\b"), "something shaped like a social security number"),
    (re.compile(r"\b[A-TV-Z][0-9]{2}\.[0-9A-Z]{1,4}\b"), "something shaped like a diagnosis code"),
    (re.compile(r"\b(diagnosed with|diagnosis of)\b", re.I), "a diagnosis"),
    (re.compile(r"\b(patient|client|child|son|daughter)\s+(named\s+)?[A-Z][a-z]+\s+[A-Z][a-z]{2,}\b"),
     "a client's full name"),
]


def npi_valid(npi: str) -> bool:
    """10 digits whose last digit is the Luhn check digit over '80840' + the first nine."""
    if not re.fullmatch(r"\d{10}", npi):
        return False
    digits = [int(c) for c in "80840" + npi[:9]]
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return (10 - total % 10) % 10 == int(npi[9])


def initials_of(name: str) -> str:
    letters = re.sub(r"[^A-Za-z]", "", name)
    if " " not in name.strip() and 0 < len(letters) <= 3:
        return letters.upper()
    return "".join(w[0].upper() + "." for w in re.findall(r"[A-Za-z]+", name)[:3])


class _Ctx(S.Ctx):
    def __init__(self, path, today, play_ids, partner_ids, pid):
        super().__init__(path, [])
        self.guard = today + timedelta(days=1)
        self.play_ids = play_ids
        self.partner_ids = partner_ids
        self.pid = pid

    def warn(self, line, col, code, message):
        self.diags.append(Diagnostic(self.path, line, col, code, message, WARNING))


def parse_partner(pid: str, path: str, text: str, today: date, play_ids, partner_ids):
    """Validate one partner file's text. Returns (Partner | None, diagnostics)."""
    ytext, body, body_line, diags = split(text, path)
    if ytext is None:
        return None, diags
    node, diags = load(ytext, path, line_offset=1)
    if diags:
        return None, diags
    ctx = _Ctx(path, today, play_ids, partner_ids, pid)
    if node is None or node.kind != "map":
        line = node.line if node else 2
        ctx.error(line, "NK008", "the front matter must be 'key: value' lines (name:, kind:, ...)")
        return None, ctx.diags
    fields = S.mapping(node, ctx, "", TOP_KEYS)
    S.need(fields, ("name", "kind"), node, ctx, "")
    out: dict = {}
    for key, (knode, v) in fields.items():
        if key in TEXT_FIELDS:
            out[key] = S.text(v, ctx, key, allow_numbers=key in ("phone", "fax"))
            if key == "name" and out[key] == "":
                ctx.error(v, "NK115", "name: must not be empty")
        elif key == "kind":
            out[key] = S.choice(v, ctx, key, KINDS)
        elif key == "tier":
            out[key] = S.choice(v, ctx, key, TIERS)
        elif key == "status":
            out[key] = S.choice(v, ctx, key, STATUSES)
        elif key in ("met", "restart"):
            m = S.moment(v, ctx, key, allow_time=False)
            out[key] = m.day if isinstance(m, Moment) else m
            out[key + "_node"] = v
        elif key == "npi":
            out[key] = _npi(v, ctx)
            out["npi_line"] = v.line
        elif key == "tags":
            out[key] = _strlist(v, ctx, key)
        elif key == "staff":
            out[key] = _staff(v, ctx)
        elif key == "answers":
            m = S.mapping(v, ctx, key, ANSWER_KEYS)
            out[key] = {} if m is S.INVALID else {k: S.text(n, ctx, f"answers.{k}") for k, (_, n) in m.items()}
        else:
            out[key] = _LISTS[key](v, ctx)
    _restart_rule(out, ctx)
    _scan_phi(body, body_line, ctx, "notes")
    if any(d.severity == "error" for d in ctx.diags):
        return None, ctx.diags
    return _build(pid, path, out, body, body_line), ctx.diags


def _build(pid, path, out, body, body_line):
    clean = {k: v for k, v in out.items() if v is not S.INVALID and not k.endswith("_node")}
    clean.setdefault("tier", "standard")
    clean.setdefault("status", "active")
    for key in ("tier", "status"):
        if clean[key] is None:
            clean[key] = "standard" if key == "tier" else "active"
    for key in ("tags", "staff", "next_steps", "history", "referrals", "shared_clients", "gifts"):
        clean[key] = tuple(clean.get(key) or ())
    clean["answers"] = {k: v for k, v in (clean.get("answers") or {}).items() if v}
    clean["mentions"] = frozenset({h.with_ for h in clean["history"] if h.with_} |
                                  {r.bounced_to for r in clean["referrals"] if r.bounced_to})
    return Partner(id=pid, path=path, notes=body, notes_line=body_line, **clean)


def _restart_rule(out, ctx):
    restart, met = out.get("restart"), out.get("met")
    if isinstance(restart, date):
        node = out["restart_node"]
        if met is None:
            ctx.error(node, "NK112", "restart: needs 'met' (the initial meeting) to be set as well")
        elif isinstance(met, date) and restart < met:
            ctx.error(node, "NK112", f"restart: {restart} is before met ({met}); restart re-anchors a rotation that already began")


def _npi(v, ctx):
    raw = S.text(v, ctx, "npi", allow_numbers=True)
    if raw in (None, S.INVALID):
        return raw
    raw = raw.strip()
    if not re.fullmatch(r"\d{10}", raw):
        ctx.error(v, "NK109", f"npi: an NPI is exactly 10 digits, got '{raw}'")
        return S.INVALID
    if not npi_valid(raw):
        ctx.error(v, "NK109", f"npi: '{raw}' fails the NPI check digit; check for a typo (compare with the NPPES registry)")
        return S.INVALID
    return raw


def _strlist(v, ctx, label):
    items = S.seq(v, ctx, label)
    if items is S.INVALID:
        return ()
    return tuple(t for t in (S.text(n, ctx, f"{label}[{i}]", allow_numbers=True) for i, n in enumerate(items, 1))
                 if t not in (None, S.INVALID))


def _staff(v, ctx):
    out = []
    for i, item, fields in _items(v, ctx, "staff", STAFF_KEYS):
        S.need(fields, ("name",), item, ctx, f"staff[{i}]")
        out.append({k: S.text(n, ctx, f"staff[{i}].{k}", allow_numbers=True) for k, (_, n) in fields.items()})
    return tuple(out)


def _items(v, ctx, label, keys):
    """Yield (1-based index, item node, fields) for a list of mappings."""
    items = S.seq(v, ctx, label)
    if items is S.INVALID:
        return
    for i, item in enumerate(items, 1):
        fields = S.mapping(item, ctx, f"{label}[{i}]", keys)
        if fields is not S.INVALID:
            yield i, item, fields


def _when(fields, key, ctx, lab, *, allow_time=True, future_ok=False):
    """A date/moment field of a list item, with the typo guard. Missing -> None."""
    if key not in fields:
        return None
    node = fields[key][1]
    m = S.moment(node, ctx, f"{lab}.{key}", allow_time=allow_time)
    if isinstance(m, Moment) and not future_ok and m.day > ctx.guard:
        ctx.error(node, "NK106", f"{lab}.{key}: {m.iso()} is in the future; only appointments and due dates may be "
                                  f"booked ahead (a typo? today is {ctx.guard - timedelta(days=1)})")
        return S.INVALID
    return m


def _client(fields, ctx, lab, item):
    if "client" not in fields:
        S.need(fields, ("client",), item, ctx, lab)
        return S.INVALID
    node = fields["client"][1]
    raw = S.text(node, ctx, f"{lab}.client")
    if raw in (None, S.INVALID):
        if raw is None:
            ctx.error(node, "NK102", f"{lab}: 'client' is required (the client's initials)")
        return S.INVALID
    if not INITIALS.match(raw.strip()):
        hint = f", e.g. '{initials_of(raw)}'" if initials_of(raw) else ""
        ctx.error(node, "NK108", f"{lab}.client: '{raw}' is not initials; client names are not stored in "
                                  f"nurturekit, only initials (one to three capital letters{hint})")
        return S.INVALID
    return raw.strip()


def _text(fields, key, ctx, lab):
    return S.text(fields[key][1], ctx, f"{lab}.{key}") if key in fields else None


def _history(v, ctx):
    out = []
    for i, item, f in _items(v, ctx, "history", HISTORY_KEYS):
        lab = f"history[{i}]"
        S.need(f, ("date", "play"), item, ctx, lab)
        when = _when(f, "date", ctx, lab)
        play = _play(f, ctx, lab)
        note = _text(f, "note", ctx, lab)
        if isinstance(note, str):
            _scan_phi(note, f["note"][1].line, ctx, f"{lab}.note", col=f["note"][1].col)
        replied = None
        if "replied" in f:
            rnode = f["replied"][1]
            if rnode.kind == "scalar" and isinstance(rnode.value, bool):
                replied = when if rnode.value and isinstance(when, Moment) else None
            elif rnode.kind == "scalar" and rnode.value is None:
                replied = None
            else:
                replied = S.moment(rnode, ctx, f"{lab}.replied")
                if replied is S.INVALID:
                    ctx.diags[-1] = Diagnostic(ctx.path, rnode.line, rnode.col, "NK114",
                                               f"{lab}.replied: expected the date they answered (like 2026-05-01) or "
                                               f"true (answered the same day), got {S.shown(rnode)}")
                elif replied.day > ctx.guard:
                    ctx.error(rnode, "NK106", f"{lab}.replied: {replied.iso()} is in the future (a typo?)")
                    replied = S.INVALID
        with_ = _ref(f, "with", ctx, lab)
        if S.INVALID in (when, play, note, replied, with_) or when is None or play is None:
            continue
        out.append(HistoryEntry(date=when, play=play, note=note, replied=replied, with_=with_,
                                line=item.line, col=item.col))
    return tuple(out)


def _play(f, ctx, lab):
    if "play" not in f:
        return None
    node = f["play"][1]
    pid = S.text(node, ctx, f"{lab}.play")
    if isinstance(pid, str) and pid not in ctx.play_ids:
        ctx.error(node, "NK201", f"{lab}.play: unknown play '{pid}'{suggest(pid, ctx.play_ids)}")
        return S.INVALID
    return pid


def _ref(f, key, ctx, lab):
    if key not in f:
        return None
    node = f[key][1]
    other = S.text(node, ctx, f"{lab}.{key}")
    if not isinstance(other, str):
        return other
    if other == ctx.pid:
        ctx.error(node, "NK203", f"{lab}.{key}: must name another partner, not this one ('{other}')")
        return S.INVALID
    if other not in ctx.partner_ids:
        ctx.error(node, "NK202", f"{lab}.{key}: no partner file partners/{other}.md{suggest(other, ctx.partner_ids)}")
        return S.INVALID
    return other


def _referrals(v, ctx):
    out = []
    for i, item, f in _items(v, ctx, "referrals", REFERRAL_KEYS):
        lab = f"referrals[{i}]"
        client = _client(f, ctx, lab, item)
        if "received" not in f:
            S.need(f, ("received",), item, ctx, lab)
        moments = {k: _when(f, k, ctx, lab, future_ok=k in BOOKED_AHEAD) for k in REFERRAL_MOMENTS}
        outcome = S.choice(f["outcome"][1], ctx, f"{lab}.outcome", OUTCOMES) if "outcome" in f else None
        reason = _text(f, "reason", ctx, lab)
        bounced_to = _ref(f, "bounced_to", ctx, lab)
        if outcome in ("bounced", "declined") and not reason and reason is not S.INVALID:
            ctx.error(f["outcome"][1], "NK110", f"{lab}: a {outcome} referral needs a 'reason' (why it was not a fit)")
        if outcome == "bounced":
            for key in ("bounced", "bounced_to"):
                if key not in f or f[key][1].value is None:
                    ctx.error(f["outcome"][1], "NK111",
                              f"{lab}: a bounced referral needs '{key}' ({'the date you redirected the family' if key == 'bounced' else 'the id of the partner you sent them to'})")
        _order(moments, f, ctx, lab)
        if S.INVALID in (client, outcome, reason, bounced_to) or S.INVALID in moments.values() or moments["received"] is None:
            continue
        out.append(Referral(client=client, outcome=outcome, reason=reason, bounced_to=bounced_to,
                            line=item.line, col=item.col, index=i, **moments))
    return tuple(out)


def _order(moments, f, ctx, lab):
    received = moments.get("received")
    if isinstance(received, Moment):
        for key in REFERRAL_MOMENTS[1:]:
            m = moments.get(key)
            if isinstance(m, Moment) and not before_or_same(received, m):
                ctx.error(f[key][1], "NK107", f"{lab}.{key}: {m.iso()} is before received ({received.iso()})")
                moments[key] = S.INVALID
    intake, first = moments.get("intake"), moments.get("first_session")
    if isinstance(intake, Moment) and isinstance(first, Moment) and not before_or_same(intake, first):
        ctx.error(f["first_session"][1], "NK107", f"{lab}.first_session: {first.iso()} is before intake ({intake.iso()})")
        moments["first_session"] = S.INVALID


def _shared(v, ctx):
    out = []
    for i, item, f in _items(v, ctx, "shared_clients", SHARED_KEYS):
        lab = f"shared_clients[{i}]"
        client = _client(f, ctx, lab, item)
        if "start" not in f:
            S.need(f, ("start",), item, ctx, lab)
        start = _when(f, "start", ctx, lab, allow_time=False)
        ended = _when(f, "ended", ctx, lab, allow_time=False)
        updates = []
        if "updates" in f:
            nodes = S.seq(f["updates"][1], ctx, f"{lab}.updates")
            for j, n in enumerate(nodes if nodes is not S.INVALID else [], 1):
                m = _when({"u": (None, n)}, "u", ctx, f"{lab}.updates[{j}]", allow_time=False)
                if isinstance(m, Moment):
                    updates.append(m.day)
                else:
                    updates.append(S.INVALID)
            if nodes is S.INVALID:
                updates.append(S.INVALID)
        texts = {k: _text(f, k, ctx, lab) for k in ("goals", "progress", "next")}
        if isinstance(texts["progress"], str):
            _scan_phi(texts["progress"], f["progress"][1].line, ctx, f"{lab}.progress", col=f["progress"][1].col)
        if S.INVALID in (client, start, ended) or S.INVALID in updates or S.INVALID in texts.values() or start is None:
            continue
        out.append(SharedClient(client=client, start=start.day, ended=ended.day if ended else None,
                                updates=tuple(sorted(updates)), line=item.line, col=item.col, **texts))
    return tuple(out)


def _next_steps(v, ctx):
    out = []
    for i, item, f in _items(v, ctx, "next_steps", NEXT_KEYS):
        lab = f"next_steps[{i}]"
        S.need(f, ("what",), item, ctx, lab)
        what = _text(f, "what", ctx, lab)
        dates = {k: _when(f, k, ctx, lab, allow_time=False, future_ok=k == "due") for k in ("promised", "due", "done")}
        if S.INVALID in dates.values() or what in (None, S.INVALID):
            continue
        out.append(NextStep(what=what, line=item.line, col=item.col,
                            **{k: (m.day if m else None) for k, m in dates.items()}))
    return tuple(out)


def _gifts(v, ctx):
    out = []
    for i, item, f in _items(v, ctx, "gifts", GIFT_KEYS):
        lab = f"gifts[{i}]"
        S.need(f, ("date",), item, ctx, lab)
        when = _when(f, "date", ctx, lab, allow_time=False)
        what = _text(f, "what", ctx, lab)
        value = 0
        if "value" in f:
            node = f["value"][1]
            value = node.value
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                ctx.error(node, "NK113", f"{lab}.value: expected a number of 0 or more (no currency sign), got {S.shown(node)}")
                value = S.INVALID
        if S.INVALID in (when, what, value) or when is None:
            continue
        out.append(Gift(date=when.day, what=what, value=value, line=item.line, col=item.col))
    return tuple(out)


_LISTS = {"history": _history, "referrals": _referrals, "shared_clients": _shared,
          "next_steps": _next_steps, "gifts": _gifts}


_PHI_ANY = re.compile("|".join(f"(?:{p.pattern})" for p, _ in PHI_PATTERNS if not p.flags & re.I or True),
                      re.I)


def _scan_phi(text, first_line, ctx, label, col=None):
    if not text or not _PHI_ANY.search(text):
        return   # one pass over the whole text; the per-line scan only runs when something matched
    for offset, line in enumerate(text.split("\n")):
        for pattern, what in PHI_PATTERNS:
            m = pattern.search(line)
            if m:
                c = (col or 1) if offset == 0 and col else m.start() + 1
                ctx.warn(first_line + offset, c, "NK901",
                         f"{label}: this looks like {what}; keep patient details out of partner files "
                         f"(initials only, nothing clinical)")
                break
