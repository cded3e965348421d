"""I/O: find and read a workspace, hand the text to the pure validators."""
from __future__ import annotations

import hashlib
import os
from datetime import date
from pathlib import Path

from .diagnostics import Diagnostic
from .frontmatter import decode
from .model import Workspace
from .parallel import both
from .playbook import default_playbook, load_playbook_text
from .validate import ID_RE, parse_partner

MAX_FILE = 2_000_000


def read_text(path: Path, rel: str):
    try:
        size = path.stat().st_size
        if size > MAX_FILE:
            return None, [Diagnostic(rel, 1, 1, "NK007", f"the file is {size:,} bytes; the limit is {MAX_FILE:,}")]
        data = path.read_bytes()
    except OSError as exc:
        return None, [Diagnostic(rel, 1, 1, "NK011", f"cannot read the file: {exc.strerror or exc}")]
    return decode(data, rel)


def partner_files(root: Path):
    """(id, relative path, Path) of every partner file, sorted; plus diagnostics for bad names."""
    folder = root / "partners"
    found, diags = [], []
    if not folder.is_dir():
        return found, diags
    for entry in sorted(os.listdir(folder)):
        if entry.startswith(("_", ".")) or not entry.endswith(".md"):
            continue
        stem, rel = entry[:-3], f"partners/{entry}"
        if not (folder / entry).is_file():
            continue
        if not ID_RE.match(stem):
            diags.append(Diagnostic(rel, 1, 1, "NK010",
                                    f"'{entry}' is not a valid partner file name: use lowercase letters, digits and "
                                    f"dashes, like 'dr-lee.md' (start the name with '_' to keep a draft aside)"))
            continue
        found.append((stem, rel, folder / entry))
    return found, diags


def load_playbook(root: Path):
    path = root / "playbook.yaml"
    if not path.exists():
        return default_playbook(), []
    text, diags = read_text(path, "playbook.yaml")
    if text is None:
        return None, diags
    return load_playbook_text(text, "playbook.yaml")


def _parse_all(todo, today, plays, ids):
    """[(partner | None, diagnostics)] for each (pid, rel, text, key), the second half in a
    second process when there are enough files to pay for one (a cold run of a big practice)."""
    def parse(items):
        return [parse_partner(pid, rel, text, today, plays, ids) for pid, rel, text, _ in items]
    half = len(todo) // 2
    first, second = both(lambda: parse(todo[:half]), lambda: parse(todo[half:]), len(todo))
    return first + second


def load_workspace(root: Path, today: date, cache=None, overrides=None):
    """Returns (Workspace | None, diagnostics). None when any error was found.

    overrides: {relative path: text} read instead of the file on disk (an edit being checked)."""
    root = Path(root)
    overrides = overrides or {}
    playbook, diags = load_playbook(root)
    plays = (playbook or default_playbook()).plays
    files, found = partner_files(root)
    diags += found
    known = {rel for _, rel, _ in files}
    for rel in sorted(set(overrides) - known):
        files.append((Path(rel).stem, rel, root / rel))
    files.sort()
    ids = {pid for pid, _, _ in files}
    # a file's validation depends on its text, today, the partner ids and the play ids
    bucket, used = None, {}
    if cache is not None:
        context = (today, tuple(sorted(ids)), tuple(sorted(plays)))
        if cache.get("context") != context:
            cache.clear()
            cache["context"] = context
            cache["files"] = {}
        bucket = cache["files"]
    texts = []   # (pid, rel, text, cache key) of every readable file, in order
    for pid, rel, path in files:
        if rel in overrides:
            text, found = decode(overrides[rel].encode("utf-8"), rel)
        else:
            text, found = read_text(path, rel)
        if text is None:
            diags += found
            continue
        key = (rel, hashlib.blake2b(text.encode("utf-8"), digest_size=20).digest()) if bucket is not None else None
        texts.append((pid, rel, text, key))
    todo = [t for t in texts if bucket is None or t[3] not in bucket]
    parsed = dict(zip((t[1] for t in todo), _parse_all(todo, today, plays, ids)))
    partners = []
    for pid, rel, text, key in texts:
        partner, found = bucket[key] if rel not in parsed else parsed[rel]
        if bucket is not None:
            used[key] = (partner, found)
        diags += found
        if partner is not None:
            partners.append(partner)
    if bucket is not None and used.keys() != bucket.keys():   # keep exactly this run's files
        cache["files"] = used
        cache["changed"] = True
    diags = sorted(set(diags), key=lambda d: (d.path != "playbook.yaml", d.path, d.line, d.col, d.code))
    if playbook is None or any(d.severity == "error" for d in diags):
        return None, diags
    partners.sort(key=lambda p: p.id)
    return Workspace(root=str(root), playbook=playbook, partners=tuple(partners),
                     by_id={p.id: p for p in partners}), diags


def reload_partners(ws: Workspace, rels, today: date):
    """`ws` (loaded for `today`) with these existing partner files read and checked again: what
    `serve` does first for a save that touched only partner files, so the page being edited is
    rebuilt without reading the whole practice. Each file is checked exactly as
    load_workspace checks it (its validation depends only on its text, today, and the ids of
    partners and plays, which such a save cannot change). Returns (Workspace | None, diagnostics)."""
    root = Path(ws.root)
    ids, plays = set(ws.by_id), ws.playbook.plays
    by_id, diags = dict(ws.by_id), []
    for rel in sorted(rels):
        pid = Path(rel).stem
        text, found = read_text(root / rel, rel)
        if text is not None:
            partner, found = parse_partner(pid, rel, text, today, plays, ids)
            if partner is not None:
                by_id[pid] = partner
        diags += found
    diags = sorted(set(diags), key=lambda d: (d.path, d.line, d.col, d.code))
    if any(d.severity == "error" for d in diags):
        return None, diags
    partners = tuple(by_id[pid] for pid in sorted(by_id))
    return Workspace(root=ws.root, playbook=ws.playbook, partners=partners, by_id={p.id: p for p in partners}), diags
