"""Split a partner file into its YAML front matter and Markdown notes (pure)."""
from __future__ import annotations

from .diagnostics import Diagnostic


def decode(data: bytes, path: str):
    """bytes -> (text with BOM removed and CRLF folded, diagnostics)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = data[: exc.start]
        line = before.count(b"\n") + 1
        col = exc.start - (before.rfind(b"\n") + 1) + 1
        return None, [Diagnostic(path, line, col, "NK001",
                                 f"byte 0x{data[exc.start]:02x} is not UTF-8 text; save the file as UTF-8")]
    if text.startswith("\ufeff"):
        text = text[1:]
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text, []


def split(text: str, path: str):
    """text -> (yaml_text, body, body_first_line, diagnostics). yaml_text's line 1 is file line 2."""
    lines = text.split("\n")
    if not lines or lines[0].rstrip() != "---":
        return None, text, 1, [Diagnostic(path, 1, 1, "NK002",
                                          "a partner file starts with a line '---', then the fields, then another '---'")]
    for i in range(1, len(lines)):
        if lines[i].rstrip() == "---":
            return "\n".join(lines[1:i]) + "\n", "\n".join(lines[i + 1:]), i + 2, []
    return None, text, 1, [Diagnostic(path, 1, 1, "NK003",
                                      "the front matter opened here is never closed: add a line '---' after the last field")]
