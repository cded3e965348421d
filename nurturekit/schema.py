"""A small typed-schema checker over position-carrying YAML nodes.

Used by both the playbook and the partner validators, so every message has the
same shape: `label: expected ..., got '...'` at the value's own line and column.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from .diagnostics import Diagnostic, suggest
from .timeutil import DATE_FORMS, MOMENT_FORMS, parse_moment
from .yamlnodes import Y, bool_hint

INVALID = object()  # a value that was reported; callers skip rules that need it


@dataclass
class Ctx:
    path: str
    diags: list = field(default_factory=list)
    unknown_code: str = "NK101"
    type_code: str = "NK104"
    suggested: set = field(default_factory=set)   # (id(node), key) already named in a "did you mean"

    def error(self, node_or_line, code, message, col=None):
        if isinstance(node_or_line, Y):
            line, col = node_or_line.line, node_or_line.col
        else:
            line = node_or_line
        self.diags.append(Diagnostic(self.path, line, col or 1, code, message))


def shown(node: Y) -> str:
    if node.kind == "scalar":
        raw = node.raw if node.raw is not None else str(node.value)
        if len(raw) > 60:
            raw = raw[:57] + "..."
        return f"'{raw}'"
    return "a list" if node.kind == "seq" else "a mapping"


def text(node: Y, ctx: Ctx, label: str, *, allow_numbers=False):
    if node.kind == "scalar" and node.value is None:
        return None
    if node.kind == "scalar" and isinstance(node.value, str):
        return node.value
    if allow_numbers and node.kind == "scalar" and isinstance(node.value, int) and not isinstance(node.value, bool):
        return node.raw
    ctx.error(node, ctx.type_code, f"{label}: expected text, got {shown(node)}{bool_hint(node)}")
    return INVALID


def moment(node: Y, ctx: Ctx, label: str, *, allow_time=True):
    if node.kind == "scalar" and node.value is None:
        return None
    raw = node.raw if node.kind == "scalar" else None
    m = parse_moment(raw, allow_time=allow_time) if isinstance(raw, str) else None
    if m is None:
        forms = MOMENT_FORMS if allow_time else DATE_FORMS
        why = ""
        if isinstance(raw, str) and re.match(r"^\d{4}-\d{2}-\d{2}", raw) and \
                parse_moment("2000-01-01" + raw[10:]) is not None:
            why = " (there is no such day)" if parse_moment(raw[:10]) is None else " (this field takes a date without a time)"
        ctx.error(node, "NK103", f"{label}: expected {forms}, got {shown(node)}{why}")
        return INVALID
    return m


def number(node: Y, ctx: Ctx, label: str, *, integer=False, minimum=None):
    v = node.value if node.kind == "scalar" else None
    if v is None and node.kind == "scalar":
        return None
    ok = isinstance(v, int) if integer else isinstance(v, (int, float))
    if not ok or isinstance(v, bool):
        kind = "a whole number" if integer else "a number"
        ctx.error(node, ctx.type_code, f"{label}: expected {kind}, got {shown(node)}")
        return INVALID
    if minimum is not None and v < minimum:
        ctx.error(node, ctx.type_code, f"{label}: must be at least {minimum}, got {shown(node)}")
        return INVALID
    return v


def boolean(node: Y, ctx: Ctx, label: str):
    if node.kind == "scalar" and isinstance(node.value, bool):
        return node.value
    ctx.error(node, ctx.type_code, f"{label}: expected true or false, got {shown(node)}")
    return INVALID


def choice(node: Y, ctx: Ctx, label: str, choices, code="NK105"):
    v = node.value if node.kind == "scalar" else None
    if v is None and node.kind == "scalar":
        return None
    if v not in choices:
        listed = " | ".join(choices)
        ctx.error(node, code, f"{label}: expected one of {listed}, got {shown(node)}{suggest(str(v), choices)}")
        return INVALID
    return v


def seq(node: Y, ctx: Ctx, label: str):
    if node.kind == "scalar" and node.value is None:
        return []
    if node.kind != "seq":
        ctx.error(node, ctx.type_code, f"{label}: expected a list, got {shown(node)}")
        return INVALID
    return node.value


def mapping(node: Y, ctx: Ctx, label: str, keys=None):
    """The node's items as {key: (keynode, valuenode)}; unknown keys reported."""
    if node.kind == "scalar" and node.value is None:
        return {}
    if node.kind != "map":
        ctx.error(node, ctx.type_code, f"{label}: expected a mapping (key: value lines), got {shown(node)}")
        return INVALID
    if keys is None:
        return node.value
    out = {}
    for key, (knode, vnode) in node.value.items():
        if key not in keys:
            where = f"{label}: " if label else ""
            hint = suggest(str(key), keys)
            ctx.error(knode, ctx.unknown_code, f"{where}unknown key '{key}'{hint}")
            if hint:  # a misspelt required key is one problem, not two
                ctx.suggested.add((id(node), hint.split("'")[1]))
            continue
        out[key] = (knode, vnode)
    return out


def need(items, keys, node: Y, ctx: Ctx, label: str) -> bool:
    missing = [k for k in keys if (k not in items or items[k][1].value is None and items[k][1].kind == "scalar")
               and (id(node), k) not in ctx.suggested]
    for k in missing:
        where = f"{label}: " if label else ""
        ctx.error(node, "NK102", f"{where}'{k}' is required")
    return not missing
