"""Daily work: new partner files, logging touches, moving referrals along, drafts."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from .diagnostics import Diagnostic
from .edit import Doc, EditError, append_item, find_referral, set_fields, write_checked
from .loader import load_workspace
from .validate import ID_RE

REFER_FIELDS = ("family_contacted", "acknowledged", "intake", "first_session", "loop_closed", "thanked",
                "referrer_told", "receiver_told")


@dataclass
class Outcome:
    path: str
    added: list          # new text lines, for the user to see
    replaced: list
    messages: list


def moment_text(now: datetime, value: str | None, *, with_time=True) -> str:
    """'now' (or None) -> the current moment; anything else is kept as written (validated later)."""
    if value in (None, "now", "today"):
        return now.strftime("%Y-%m-%d %H:%M") if with_time and value != "today" else now.strftime("%Y-%m-%d")
    return value.strip().replace("T", " ")


def partner_path(root: Path, pid: str) -> Path:
    path = Path(root) / "partners" / f"{pid}.md"
    if not path.is_file():
        from .diagnostics import suggest
        ids = sorted(p.stem for p in (Path(root) / "partners").glob("*.md")) if (Path(root) / "partners").is_dir() else []
        raise EditError(Diagnostic(f"partners/{pid}.md", 1, 1, "NK603",
                                   f"no partner '{pid}'{suggest(pid, ids)}; `nurturekit new {pid} ...` creates one"))
    return path


def commit(root: Path, rel: str, original: bytes | None, doc_text: str, now: datetime):
    """Validate the workspace with the new text in place; write it only if the edited file is valid."""
    ws, diags = load_workspace(root, now.date(), overrides={rel: doc_text})
    mine = [d for d in diags if d.path == rel and d.severity == "error"]
    if mine:
        raise EditError(Diagnostic(rel, mine[0].line, mine[0].col, "NK602",
                                   f"the edit would make the file invalid, so nothing was written: {mine[0].code} "
                                   f"{mine[0].message}"))
    path = Path(root) / rel
    if original is None:
        if path.exists():
            raise EditError(Diagnostic(rel, 1, 1, "NK605", f"{rel} already exists; nothing was written"))
        from .writer import atomic_write
        atomic_write(path, doc_text.encode("utf-8"))
    else:
        write_checked(path, original, doc_text, rel)
    return ws


def read_doc(path: Path):
    original = path.read_bytes()
    try:
        return original, Doc.parse(original.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise EditError(Diagnostic(str(path), 1, 1, "NK001", f"the file is not UTF-8 text: {exc.reason}"))


def new_partner(root: Path, now: datetime, pid: str, name: str, kind: str, **extra) -> Outcome:
    rel = f"partners/{pid}.md"
    if not ID_RE.match(pid):
        raise EditError(Diagnostic(rel, 1, 1, "NK010", f"'{pid}' is not a valid id: use lowercase letters, digits "
                                                        f"and dashes, like 'dr-lee'"))
    if (Path(root) / rel).exists():
        raise EditError(Diagnostic(rel, 1, 1, "NK605", f"{rel} already exists; nothing was written"))
    from .edit import scalar
    lines = ["---", f"name: {scalar(name)}"]
    for key in ("practice",):
        if extra.get(key):
            lines.append(f"{key}: {scalar(extra[key])}")
    lines.append(f"kind: {kind}")
    for key in ("email", "phone", "tier", "owner"):
        if extra.get(key):
            lines.append(f"{key}: {scalar(extra[key])}" if key != "phone" else f'phone: "{extra[key]}"')
    if extra.get("met"):
        lines.append(f"met: {extra['met']}")
    lines += ["answers:                  # the four questions, in their words",
              "  serve:                  # Who do you primarily serve?",
              "  challenge:              # What is the biggest challenge you face with these cases?",
              "  process:                # What does your current referral process look like?",
              "  easier:                 # What would make referring to us easier?"]
    if extra.get("met"):
        lines += ["history:", f"  - {{date: {extra['met']}, play: initial-meeting}}"]
    lines += ["---", "Notes about this partner (Markdown). Initials only for clients; nothing clinical.", ""]
    text = "\n".join(lines)
    commit(root, rel, None, text, now)
    return Outcome(rel, lines[1:-3], [], [])


def log_touch(root: Path, now: datetime, pid: str, play: str, *, date=None, note=None, replied=None,
              with_=None) -> Outcome:
    path = partner_path(root, pid)
    rel = f"partners/{pid}.md"
    original, doc = read_doc(path)
    fields = [("date", moment_text(now, date, with_time=False)), ("play", play)]
    if with_:
        fields.append(("with", with_))
    if note:
        fields.append(("note", note))
    if replied is not None:
        fields.append(("replied", True if replied in ("", "true", "same-day") else moment_text(now, replied, with_time=False)))
    append_item(doc, rel, "history", fields)
    commit(root, rel, original, doc.text(), now)
    return Outcome(rel, added_lines(original, doc), [], [])


def refer(root: Path, now: datetime, pid: str, client: str, *, received=None, updates=None, outcome=None,
          reason=None, bounce_to=None) -> Outcome:
    """Record a referral, or move an existing one along (updates: {field: moment or None for now})."""
    path = partner_path(root, pid)
    rel = f"partners/{pid}.md"
    original, doc = read_doc(path)
    fields = []
    for key in REFER_FIELDS:
        if updates and key in updates:
            fields.append((key, moment_text(now, updates[key], with_time=key not in ("intake", "first_session")
                                            or updates[key] not in (None, "now"))))
    if bounce_to:
        fields += [("outcome", "bounced"), ("reason", reason), ("bounced", moment_text(now, None, with_time=False)),
                   ("bounced_to", bounce_to)]
    elif outcome:
        fields.append(("outcome", outcome))
        if reason:
            fields.append(("reason", reason))
    existing = find_referral(doc, rel, client, received=received.replace("T", " ")[:10] if received else None)
    messages, replaced = [], []
    if not fields and existing and received:
        item = existing[-1]
        raise EditError(Diagnostic(rel, item.line, item.col, "NK604",
                                   f"a referral for {client} received {received} is already recorded"))
    if not fields or not existing:
        new = [("client", client), ("received", moment_text(now, received))] + fields
        append_item(doc, rel, "referrals", new, flow_ok=False)
        if existing and not fields:
            messages.append(f"{client} already had a referral from this partner; recorded a new one")
    else:
        if len(existing) > 1 and not received:
            messages.append(f"{len(existing)} referrals for {client}; updated the latest (use --received to pick)")
        item = existing[-1]
        replaced = set_fields(doc, rel, item, fields)
    commit(root, rel, original, doc.text(), now)
    return Outcome(rel, added_lines(original, doc), replaced, messages)


def added_lines(original: bytes, doc: Doc) -> list:
    import difflib
    old = original.decode("utf-8").splitlines()
    return [line[2:] for line in difflib.ndiff(old, doc.text().splitlines()) if line.startswith("+ ")]


def due_filter_partners(analysis):
    return [p.id for p, s in analysis.current_steps()
            if s.status == "due" and analysis.workspace.playbook.plays[s.play].is_filter]
