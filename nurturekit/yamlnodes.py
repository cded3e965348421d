"""Strict YAML: every value comes back as a node that knows its line and column.

We compose with PyYAML (its C parser when available) and build our own tree:
no implicit timestamps (dates stay text, nurturekit parses them), no duplicate
keys, no anchors or aliases, no tags, no non-text keys, bounded size and depth.
Problems come back as diagnostics; nothing here raises for bad input.
"""
from __future__ import annotations

import re

import yaml

from .diagnostics import Diagnostic

try:  # the C parser is ten times faster; results are the same
    from yaml.cyaml import CParser as _Parser

    _Loader = yaml.CSafeLoader
except (ImportError, AttributeError):  # pragma: no cover - depends on how PyYAML was built
    _Parser = None
    _Loader = yaml.SafeLoader

_STR = "tag:yaml.org,2002:str"


class _Composer(_Parser or object):
    """PyYAML's C composer without its Python tag resolver: nurturekit reads scalars itself,
    so resolving every one (a regex per scalar) is wasted. Explicit tags still come through."""

    def resolve(self, kind, value, implicit):
        return _STR

    def descend_resolver(self, *args):
        pass

    def ascend_resolver(self, *args):
        pass


def _compose(text):
    if _Parser is None:  # pragma: no cover
        return yaml.compose(text, Loader=_Loader)
    loader = _Composer(text)
    try:
        return loader.get_single_node()
    finally:
        loader.dispose()

MAX_BYTES = 2_000_000
MAX_DEPTH = 40

_NULL = {"", "~", "null", "Null", "NULL"}
_TRUE = {"true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON"}
_FALSE = {"false", "False", "FALSE", "no", "No", "NO", "off", "Off", "OFF"}
_BOOL_WORDS = {"true", "True", "TRUE", "false", "False", "FALSE"}
_INT = re.compile(r"^[-+]?(0|[1-9][0-9_]*)$")
_FLOAT = re.compile(r"^[-+]?(\.[0-9]+|[0-9][0-9_]*(\.[0-9_]*)?)([eE][-+]?[0-9]+)?$")

_STD_TAGS = {
    "tag:yaml.org,2002:str", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool", "tag:yaml.org,2002:null", "tag:yaml.org,2002:timestamp",
    "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq", "tag:yaml.org,2002:merge",
    "tag:yaml.org,2002:value", "tag:yaml.org,2002:binary",
}


class Y:
    """A YAML value with its position (1-based line and column in the file)."""

    __slots__ = ("kind", "value", "line", "col", "raw", "quoted")

    def __init__(self, kind, value, line, col, raw=None, quoted=False):
        self.kind = kind      # "map" | "seq" | "scalar"
        self.value = value    # dict[key, (Y key, Y value)] | list[Y] | python scalar
        self.line = line
        self.col = col
        self.raw = raw        # the scalar's text as written
        self.quoted = quoted

    def get(self, key):
        pair = self.value.get(key) if self.kind == "map" else None
        return pair[1] if pair else None

    def plain(self):
        """The python value (dicts, lists, scalars), without positions."""
        if self.kind == "map":
            return {k: v.plain() for k, (_, v) in self.value.items()}
        if self.kind == "seq":
            return [v.plain() for v in self.value]
        return self.value

    def __repr__(self):  # pragma: no cover - debugging aid
        return f"Y({self.kind}, {self.plain()!r}, {self.line}:{self.col})"


_MAYBE = re.compile(r"^[-+.0-9~nNtTfFyYoO]|^$")


def scalar_value(raw: str, quoted: bool):
    if quoted or not _MAYBE.match(raw):
        return raw  # cannot be null, a boolean or a number
    if raw in _NULL:
        return None
    if raw in _TRUE or raw in _FALSE:
        # YAML 1.1 reads yes/no/on/off as booleans; we keep them (with a hint later)
        return raw in _TRUE
    if _INT.match(raw):
        return int(raw.replace("_", ""))
    if _FLOAT.match(raw) and any(ch.isdigit() for ch in raw):
        try:
            return float(raw.replace("_", ""))
        except ValueError:
            return raw
    return raw


def bool_hint(node: Y) -> str:
    """A hint for a value YAML turned into true/false though the user meant text."""
    if node.kind == "scalar" and isinstance(node.value, bool) and node.raw not in _BOOL_WORDS:
        return f"; YAML reads a bare '{node.raw}' as {str(node.value).lower()}, put it in quotes: \"{node.raw}\""
    return ""


def load(text: str, path: str, line_offset: int = 0):
    """Parse one YAML document. Returns (Y | None, [Diagnostic])."""
    diags: list[Diagnostic] = []
    if len(text) > MAX_BYTES:
        return None, [Diagnostic(path, 1 + line_offset, 1, "NK007",
                                 f"the YAML block is {len(text):,} characters; the limit is {MAX_BYTES:,}")]
    if "&" in text or "*" in text:
        found = _find_anchor(text, path, line_offset)
        if found:
            return None, [found]
    try:
        node = _compose(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = (mark.line + 1 if mark else 1) + line_offset
        col = mark.column + 1 if mark else 1
        problem = exc.problem or exc.context or "the YAML does not parse"
        msg = f"YAML syntax error: {problem}"
        if mark is not None and "\t" in text.split("\n")[mark.line][: mark.column + 1]:
            msg += "; indent with spaces, not tabs"
        return None, [Diagnostic(path, line, col, "NK004", msg)]
    except yaml.YAMLError as exc:
        return None, [Diagnostic(path, 1 + line_offset, 1, "NK004", f"YAML syntax error: {exc}")]
    except RecursionError:
        return None, [Diagnostic(path, 1 + line_offset, 1, "NK007", "the YAML is nested too deeply")]
    if node is None:
        return None, []
    seen: set[int] = set()
    result = _convert(node, path, line_offset, diags, 0, seen)
    return result, diags


def _find_anchor(text, path, line_offset):
    try:
        for event in yaml.parse(text, Loader=_Loader):
            anchor = getattr(event, "anchor", None)
            if anchor is not None:
                kind = "alias" if isinstance(event, yaml.AliasEvent) else "anchor"
                m = event.start_mark
                return Diagnostic(path, m.line + 1 + line_offset, m.column + 1, "NK006",
                                  f"YAML {kind} '{anchor}' is not allowed; write the value out in full")
    except yaml.YAMLError:
        return None  # the syntax error is reported by the main pass
    return None


_ScalarNode, _SequenceNode = yaml.ScalarNode, yaml.SequenceNode
_QUOTED = {"'", '"', "|", ">"}


def _convert(node, path, off, diags, depth, seen):
    mark = node.start_mark
    line, col = mark.line + 1 + off, mark.column + 1
    if depth > MAX_DEPTH:
        diags.append(Diagnostic(path, line, col, "NK007", f"the YAML is nested more than {MAX_DEPTH} levels deep"))
        return Y("scalar", None, line, col, "")
    cls = node.__class__
    if cls is _ScalarNode:
        quoted = node.style in _QUOTED
        tag = node.tag
        if tag != _STR and tag not in _STD_TAGS and tag != "!":
            shown = tag.replace("tag:yaml.org,2002:", "!!")
            diags.append(Diagnostic(path, line, col, "NK012", f"YAML tag '{shown}' is not allowed; write a plain value"))
        raw = node.value
        return Y("scalar", raw if quoted else scalar_value(raw, False), line, col, raw, quoted)
    if id(node) in seen:  # pragma: no cover - aliases are refused before
        diags.append(Diagnostic(path, line, col, "NK006", "YAML aliases are not allowed"))
        return Y("scalar", None, line, col, "")
    seen.add(id(node))
    if cls is _SequenceNode:
        return Y("seq", [_convert(n, path, off, diags, depth + 1, seen) for n in node.value], line, col)
    items: dict = {}
    for knode, vnode in node.value:
        kmark = knode.start_mark
        kline, kcol = kmark.line + 1 + off, kmark.column + 1
        if knode.__class__ is not _ScalarNode:
            diags.append(Diagnostic(path, kline, kcol, "NK009", "a key must be plain text, not a list or mapping"))
            continue
        if knode.value == "<<" and not knode.style:
            diags.append(Diagnostic(path, kline, kcol, "NK006", "YAML merge keys ('<<') are not allowed; write the keys out"))
            continue
        key = scalar_value(knode.value, knode.style in ("'", '"'))
        if key is None or isinstance(key, (bool, float)):
            diags.append(Diagnostic(path, kline, kcol, "NK009", f"key '{knode.value}' must be plain text"))
            continue
        kval = _convert(vnode, path, off, diags, depth + 1, seen)
        if key in items:
            first = items[key][0]
            diags.append(Diagnostic(path, kline, kcol, "NK005",
                                    f"duplicate key '{knode.value}' (first given on line {first.line})"))
            continue
        items[key] = (Y("scalar", key, kline, kcol, knode.value), kval)
    return Y("map", items, line, col)
