"""Edits to partner files as text insertions: the rest of the file stays byte for byte.

Each edit is computed on the text (pure), the whole workspace is re-validated with the new
text in place, and only then is the file replaced atomically, and only if nobody changed it
on disk in the meantime."""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from .diagnostics import Diagnostic
from .frontmatter import split
from .yamlnodes import load

_PLAIN = re.compile(r"^[A-Za-z0-9(][A-Za-z0-9 .,'()/&+@_;?!-]*$")
_YAML_WORDS = {"yes", "no", "on", "off", "true", "false", "null", "y", "n", "~"}


class EditError(Exception):
    def __init__(self, diagnostic: Diagnostic):
        super().__init__(str(diagnostic))
        self.diagnostic = diagnostic


def scalar(value) -> str:
    """A YAML scalar for value: plain when unambiguous, else double-quoted (JSON escapes are YAML)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value)
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}( \d{2}:\d{2}(:\d{2})?)?", text):
        return text
    if _PLAIN.match(text) and text.lower() not in _YAML_WORDS and not re.fullmatch(r"[-+0-9.eE_]+", text) \
            and ": " not in text and " #" not in text:
        return text
    return json.dumps(text, ensure_ascii=False)


@dataclass
class Doc:
    """A partner file's text split into lines that keep their own line endings."""
    lines: list
    newline: str
    bom: str

    @classmethod
    def parse(cls, raw: str):
        bom = "\ufeff" if raw.startswith("\ufeff") else ""
        body = raw[len(bom):]
        newline = "\r\n" if "\r\n" in body else "\n"
        return cls(body.splitlines(keepends=True), newline, bom)

    def text(self) -> str:
        return self.bom + "".join(self.lines)

    def closing(self) -> int:
        """Index of the closing '---' line."""
        for i in range(1, len(self.lines)):
            if self.lines[i].rstrip("\r\n").rstrip() == "---":
                return i
        raise ValueError("front matter not closed")

    def insert(self, index: int, new_lines: list):
        if index > 0 and not self.lines[index - 1].endswith(("\n", "\r")):
            self.lines[index - 1] += self.newline
        self.lines[index:index] = [line + self.newline for line in new_lines]


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _tree(doc: Doc, path: str):
    ytext, _, _, diags = split(doc.text().lstrip("\ufeff").replace("\r\n", "\n"), path)
    if diags:
        raise EditError(diags[0])
    node, diags = load(ytext, path, line_offset=1)
    if diags:
        raise EditError(diags[0])
    if node is None or node.kind != "map":
        raise EditError(Diagnostic(path, 2, 1, "NK008", "the front matter must be 'key: value' lines"))
    return node


def block_end(doc: Doc, key_index: int) -> int:
    """Index just after the last non-blank line of the block that starts at key_index."""
    key_indent = _indent(doc.lines[key_index])
    end, last = doc.closing(), key_index
    for i in range(key_index + 1, end):
        stripped = doc.lines[i].strip()
        if not stripped or stripped.startswith("#"):
            continue
        ind = _indent(doc.lines[i])
        if ind > key_indent or (ind == key_indent and stripped.startswith("- ")):
            last = i
        else:
            break
    return last + 1


def append_item(doc: Doc, path: str, list_key: str, fields: list, *, flow_ok=True):
    """Append an item (ordered [(key, value)]) to the top-level list `list_key`. Returns the new item's line."""
    tree = _tree(doc, path)
    pair = tree.value.get(list_key)
    if pair is None:
        at = doc.closing()
        doc.insert(at, [f"{list_key}:"] + _item_lines(fields, "  ", flow=False))
        return at + 2
    knode, vnode = pair
    key_index = knode.line - 1
    if vnode.kind == "seq" and vnode.value:
        first = vnode.value[0]
        item_line = doc.lines[first.line - 1]
        dash_indent = " " * (item_line.index("-") if "-" in item_line else first.col - 3)
        flow = flow_ok and first.kind == "map" and item_line.lstrip().startswith("- {")
        if vnode.line == knode.line:   # history: [a, b] on one line: cannot append without rewriting it
            raise EditError(Diagnostic(path, knode.line, knode.col, "NK602",
                                       f"'{list_key}' is written as a one-line [list]; put each item on its own "
                                       f"'- ' line first, then run the command again"))
        at = block_end(doc, key_index)
        doc.insert(at, _item_lines(fields, dash_indent, flow=flow))
        return at + 1
    if vnode.kind == "scalar" and vnode.value is None:
        at = key_index + 1
        indent = " " * (_indent(doc.lines[key_index]) + 2)
        doc.insert(at, _item_lines(fields, indent, flow=False))
        return at + 1
    raise EditError(Diagnostic(path, knode.line, knode.col, "NK602",
                               f"'{list_key}' must be a list of '- ' items to add to it"))


def _item_lines(fields, indent, *, flow):
    if flow:
        return [f"{indent}- {{" + ", ".join(f"{k}: {scalar(v)}" for k, v in fields) + "}"]
    out = []
    for i, (k, v) in enumerate(fields):
        out.append(f"{indent}{'- ' if i == 0 else '  '}{k}: {scalar(v)}")
    return out


def set_fields(doc: Doc, path: str, item, fields: list):
    """Add fields to one list item (a block mapping). A field the item already has is replaced
    on its own line; everything else is an inserted line. Returns the keys replaced."""
    if item.kind != "map":
        raise EditError(Diagnostic(path, item.line, item.col, "NK602", "expected a mapping item"))
    item_line = doc.lines[item.line - 1]
    if "{" in item_line.split("#")[0] and item_line.lstrip().startswith("- {"):
        raise EditError(Diagnostic(path, item.line, item.col, "NK602",
                                   "this item is written on one line ({...}); write it as '- key: value' lines "
                                   "first, then run the command again"))
    replaced = []
    key_col = item.col - 1
    for key, value in fields:
        pair = item.value.get(key)
        if pair is not None:
            line_index = pair[0].line - 1
            old = doc.lines[line_index]
            ending = old[len(old.rstrip("\r\n")):]
            doc.lines[line_index] = " " * key_col + f"{key}: {scalar(value)}" + (ending or doc.newline)
            replaced.append(key)
    adds = [(k, v) for k, v in fields if k not in item.value]
    if adds:
        last = max([item.line] + [v.line for _, (kn, v) in item.value.items()] +
                   [kn.line for kn, _ in item.value.values()])
        # the item's block ends at the last line indented deeper than its dash
        dash_indent = key_col - 2
        at = last
        for i in range(last, doc.closing()):
            s = doc.lines[i]
            if s.strip() and (_indent(s) <= dash_indent or (_indent(s) == key_col - 2 and s.lstrip().startswith("-"))):
                break
            if s.strip():
                at = i + 1
        doc.insert(at, [" " * key_col + f"{k}: {scalar(v)}" for k, v in adds])
    return replaced


def find_referral(doc: Doc, path: str, client: str, received=None):
    """The referrals item for client (the latest received if several; `received` picks one)."""
    tree = _tree(doc, path)
    pair = tree.value.get("referrals")
    items = pair[1].value if pair and pair[1].kind == "seq" else []
    matches = []
    for item in items:
        if item.kind != "map":
            continue
        c = item.get("client")
        r = item.get("received")
        if c is not None and str(c.value).strip() == client and (received is None or (r is not None and str(r.raw).startswith(received))):
            matches.append(item)
    return matches


def write_checked(path: Path, original: bytes, new_text: str, rel: str):
    """Replace the file atomically, but only if it still holds `original`."""
    from .writer import atomic_write
    current = path.read_bytes() if path.exists() else None
    if current != original:
        raise EditError(Diagnostic(rel, 1, 1, "NK601",
                                   "the file changed on disk while nurturekit was editing it; nothing was written, "
                                   "run the command again"))
    atomic_write(path, new_text.encode("utf-8"))
