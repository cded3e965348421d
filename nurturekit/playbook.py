"""playbook.yaml: defaults shipped with the package, merged key by key, validated."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

from . import schema as S
from .diagnostics import Diagnostic
from .model import KINDS, PLAY_KINDS, TIERS
from .yamlnodes import Y, load

PLAY_ID = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
METRICS = ("active_partners", "touchpoints_per_partner_month", "reply_rate", "meetings_per_week",
           "referrals_per_month", "referral_to_intake", "loop_closure", "compliance")
OPENING_STATUSES = ("open", "waitlist", "closed")

# section -> key -> type ("str", "date", "int", "num", "strlist", "openings", "days" ...)
_SECTIONS = {
    "practice": {"name": "str", "specialty": "str", "sender": "str", "email": "str", "phone": "str",
                 "fax": "str", "referral_form": "str", "insurance": "strlist", "openings": "openings",
                 "openings_updated": "date", "value_per_intake": "num", "tracking_since": "date",
                 "started": "date"},
    "rotation": {"standard_days": "pos", "engaged_days": "pos", "engaged_reply_days": "pos",
                 "engaged_referral_days": "pos", "repeat_from": "pos"},
    "loops": {"acknowledge_hours": "posnum", "contact_family_hours": "posnum", "close_loop_days": "int0",
              "bounce_notice_days": "int0", "care_update_days": "pos", "thank_you_days": "int0",
              "next_step_days": "int0"},
    "compliance": {"gift_cap_per_year": "num"},
    "warnings": {"cold_days": "pos", "burst_touches": "pos", "burst_silence_days": "pos",
                 "generic_weeks": "pos", "stale_referrer_days": "pos", "openings_stale_days": "pos"},
}
_TOP = ("practice", "rotation", "plays", "calendar", "loops", "thank_you", "targets",
        "compliance", "warnings", "strategies")
_PLAY_KEYS = ("number", "name", "kind", "best_for", "purpose", "minutes", "requires", "otherwise")


@dataclass(frozen=True)
class Play:
    id: str
    name: str
    kind: str
    number: int | None = None
    best_for: str | None = None
    purpose: str | None = None
    minutes: float = 0
    requires: dict = field(default_factory=dict)
    otherwise: str | None = None

    @property
    def is_filter(self) -> bool:
        return self.kind == "filter"


@dataclass(frozen=True)
class Playbook:
    practice: dict
    rotation: dict
    plays: dict            # id -> Play
    calendar: tuple
    loops: dict
    thank_you: dict        # int -> str
    targets: dict          # metric -> (low, high) | None
    compliance: dict
    warnings: dict
    strategies: dict
    path: str = "playbook.yaml"
    lines: dict = field(default_factory=dict)   # "practice.openings_updated" -> line


@lru_cache(maxsize=1)
def default_tree() -> dict:
    text = resources.files("nurturekit").joinpath("defaults/playbook.yaml").read_text("utf-8")
    node, diags = load(text, "<defaults>")
    assert not diags, diags  # the shipped defaults are tested
    return node.plain()


def default_text() -> str:
    return resources.files("nurturekit").joinpath("defaults/playbook.yaml").read_text("utf-8")


def merge(base, over):
    """Maps merge key by key; lists and scalars replace."""
    if isinstance(base, dict) and isinstance(over, dict):
        out = dict(base)
        for k, v in over.items():
            out[k] = merge(base.get(k), v) if k in base else v
        return out
    return over


def _value(node: Y, kind: str, ctx: S.Ctx, label: str):
    if kind == "str":
        return S.text(node, ctx, label, allow_numbers=True)
    if kind == "date":
        m = S.moment(node, ctx, label, allow_time=False)
        return m.day if m not in (None, S.INVALID) else m
    if kind in ("pos", "int0"):
        return S.number(node, ctx, label, integer=True, minimum=1 if kind == "pos" else 0)
    if kind == "posnum":
        return S.number(node, ctx, label, minimum=0)
    if kind == "num":
        return S.number(node, ctx, label, minimum=0)
    if kind == "strlist":
        items = S.seq(node, ctx, label)
        if items is S.INVALID:
            return items
        return [S.text(n, ctx, f"{label}[{i}]", allow_numbers=True) for i, n in enumerate(items, 1)]
    if kind == "openings":
        return _openings(node, ctx, label)
    raise AssertionError(kind)  # pragma: no cover


def _openings(node, ctx, label):
    items = S.seq(node, ctx, label)
    if items is S.INVALID:
        return items
    out = []
    for i, item in enumerate(items, 1):
        lab = f"{label}[{i}]"
        fields = S.mapping(item, ctx, lab, ("service", "ages", "area", "status", "note"))
        if fields is S.INVALID:
            continue
        S.need(fields, ("service",), item, ctx, lab)
        row = {}
        for k, (_, v) in fields.items():
            if k == "status":
                row[k] = S.choice(v, ctx, f"{lab}.status", OPENING_STATUSES, code="NK302")
            else:
                row[k] = S.text(v, ctx, f"{lab}.{k}", allow_numbers=True)
        row.setdefault("status", "open")
        out.append(row)
    return out


def _plays(node, ctx, defaults):
    items = S.mapping(node, ctx, "plays")
    if items is S.INVALID:
        return {}
    out = {}
    for pid, (knode, vnode) in items.items():
        if not isinstance(pid, str) or not PLAY_ID.match(pid):
            ctx.error(knode, "NK304", f"plays: play id '{pid}' must be kebab-case, like 'resource-email'")
            continue
        lab = f"plays.{pid}"
        fields = S.mapping(vnode, ctx, lab, _PLAY_KEYS)
        if fields is S.INVALID:
            continue
        if pid not in defaults:
            S.need(fields, ("name", "kind"), vnode, ctx, lab)
        play = {}
        for k, (kn, v) in fields.items():
            if k == "number":
                play[k] = S.number(v, ctx, f"{lab}.number", integer=True, minimum=1)
            elif k == "minutes":
                play[k] = S.number(v, ctx, f"{lab}.minutes", minimum=0)
            elif k == "kind":
                play[k] = S.choice(v, ctx, f"{lab}.kind", PLAY_KINDS, code="NK302")
            elif k == "requires":
                req = S.mapping(v, ctx, f"{lab}.requires", ("tier", "shared_clients"))
                if req is S.INVALID:
                    continue
                r = {}
                if "tier" in req:
                    r["tier"] = S.choice(req["tier"][1], ctx, f"{lab}.requires.tier", TIERS, code="NK302")
                if "shared_clients" in req:
                    r["shared_clients"] = S.boolean(req["shared_clients"][1], ctx, f"{lab}.requires.shared_clients")
                play[k] = r
            elif k == "otherwise":
                play[k] = S.text(v, ctx, f"{lab}.otherwise")
                ctx.lines[f"plays.{pid}.otherwise"] = (v.line, v.col)
            else:
                play[k] = S.text(v, ctx, f"{lab}.{k}", allow_numbers=True)
        out[pid] = play
    return out


def _targets(node, ctx):
    items = S.mapping(node, ctx, "targets", METRICS)
    if items is S.INVALID:
        return {}
    out = {}
    for name, (_, v) in items.items():
        if v.kind == "scalar" and v.value is None:
            out[name] = None
            continue
        pair = S.seq(v, ctx, f"targets.{name}")
        if pair is S.INVALID:
            continue
        if len(pair) != 2:
            ctx.error(v, "NK302", f"targets.{name}: expected [low, high] (use null for no limit), got {len(pair)} values")
            continue
        lo, hi = (S.number(n, ctx, f"targets.{name}") for n in pair)
        if S.INVALID in (lo, hi):
            continue
        if lo is not None and hi is not None and lo > hi:
            ctx.error(v, "NK302", f"targets.{name}: low {lo} is above high {hi}")
            continue
        out[name] = [lo, hi]
    return out


def _thank_you(node, ctx):
    items = S.mapping(node, ctx, "thank_you")
    if items is S.INVALID:
        return {}
    out = {}
    for key, (kn, v) in items.items():
        if not isinstance(key, int) or key < 1:
            ctx.error(kn, "NK302", f"thank_you: keys are referral numbers like 1, 3, 5; got '{kn.raw}'")
            continue
        out[key] = S.text(v, ctx, f"thank_you.{key}")
    return out


def _strategies(node, ctx):
    items = S.mapping(node, ctx, "strategies", KINDS)
    if items is S.INVALID:
        return {}
    out = {}
    for kind, (_, v) in items.items():
        fields = S.mapping(v, ctx, f"strategies.{kind}", ("matters", "tailor"))
        if fields is not S.INVALID:
            out[kind] = {k: S.text(n, ctx, f"strategies.{kind}.{k}") for k, (_, n) in fields.items()}
    return out


class _PCtx(S.Ctx):
    def __init__(self, path):
        super().__init__(path, [], unknown_code="NK301", type_code="NK302")
        self.lines = {}


def parse_playbook(node: Y | None, path: str = "playbook.yaml"):
    """Validate a playbook tree and merge it over the defaults. Returns (Playbook | None, diags)."""
    ctx = _PCtx(path)
    defaults = default_tree()
    user: dict = {}
    if node is not None:
        top = S.mapping(node, ctx, "", _TOP)
        if top is S.INVALID:
            return None, ctx.diags
        for section, (knode, vnode) in top.items():
            ctx.lines[section] = (knode.line, knode.col)
            if section in _SECTIONS:
                fields = S.mapping(vnode, ctx, section, tuple(_SECTIONS[section]))
                if fields is S.INVALID:
                    continue
                user[section] = {}
                for k, (kn, v) in fields.items():
                    ctx.lines[f"{section}.{k}"] = (kn.line, kn.col)
                    user[section][k] = _value(v, _SECTIONS[section][k], ctx, f"{section}.{k}")
            elif section == "plays":
                user[section] = _plays(vnode, ctx, defaults["plays"])
            elif section == "calendar":
                items = S.seq(vnode, ctx, "calendar")
                if items is not S.INVALID:
                    user[section] = [S.text(n, ctx, f"calendar[{i}]") for i, n in enumerate(items, 1)]
                    for i, n in enumerate(items, 1):
                        ctx.lines[f"calendar.{i}"] = (n.line, n.col)
            elif section == "targets":
                user[section] = _targets(vnode, ctx)
            elif section == "thank_you":
                user[section] = _thank_you(vnode, ctx)
            elif section == "strategies":
                user[section] = _strategies(vnode, ctx)
    merged = merge(defaults, _drop_invalid(user))
    return _finish(merged, ctx, path)


def _finish(tree, ctx, path):
    plays = {}
    for pid, p in tree["plays"].items():
        plays[pid] = Play(id=pid, name=p.get("name") or pid, kind=p.get("kind") or "personal",
                          number=p.get("number"), best_for=p.get("best_for"), purpose=p.get("purpose"),
                          minutes=p.get("minutes") or 0, requires=p.get("requires") or {},
                          otherwise=p.get("otherwise"))
    for pid, play in plays.items():
        if play.otherwise and play.otherwise not in plays:
            line, col = ctx.lines.get(f"plays.{pid}.otherwise", ctx.lines.get("plays", (1, 1)))
            ctx.error(line, "NK303", f"plays.{pid}.otherwise: unknown play '{play.otherwise}'"
                      f"{_sugg(play.otherwise, plays)}", col)
    calendar = tuple(tree["calendar"])
    if not calendar:
        line, col = ctx.lines.get("calendar", (1, 1))
        ctx.error(line, "NK302", "calendar: needs at least one week", col)
    for i, pid in enumerate(calendar, 1):
        if pid not in plays:
            line, col = ctx.lines.get(f"calendar.{i}", ctx.lines.get("calendar", (1, 1)))
            ctx.error(line, "NK303", f"calendar[{i}]: unknown play '{pid}'{_sugg(pid, plays)}", col)
    rot = tree["rotation"]
    if calendar and rot["repeat_from"] > len(calendar):
        line, col = ctx.lines.get("rotation.repeat_from", (1, 1))
        ctx.error(line, "NK302", f"rotation.repeat_from: {rot['repeat_from']} is past the last calendar week ({len(calendar)})", col)
    thank_you = {k: v for k, v in tree["thank_you"].items() if v is not None}
    if ctx.diags:
        return None, ctx.diags
    return Playbook(practice=tree["practice"], rotation=rot, plays=plays, calendar=calendar,
                    loops=tree["loops"], thank_you=dict(sorted(thank_you.items())),
                    targets=tree["targets"], compliance=tree["compliance"], warnings=tree["warnings"],
                    strategies=tree["strategies"], path=path, lines=dict(ctx.lines)), ctx.diags


def _drop_invalid(value):
    """Values already reported fall back to the defaults, so later checks still run."""
    if isinstance(value, dict):
        return {k: _drop_invalid(v) for k, v in value.items() if v is not S.INVALID}
    if isinstance(value, list):
        return [_drop_invalid(v) for v in value if v is not S.INVALID]
    return value


def _sugg(word, choices):
    from .diagnostics import suggest
    return suggest(word, choices)


def default_playbook() -> Playbook:
    pb, diags = parse_playbook(None)
    assert pb is not None, diags
    return pb


def load_playbook_text(text: str | None, path: str = "playbook.yaml"):
    if text is None:
        return parse_playbook(None, path)
    node, diags = load(text, path)
    if diags:
        return None, diags
    if node is not None and node.kind != "map":
        return None, [Diagnostic(path, node.line, node.col, "NK008",
                                 "playbook.yaml must be a mapping of sections (practice:, rotation:, ...)")]
    return parse_playbook(node, path)
