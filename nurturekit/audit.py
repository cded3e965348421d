"""`nurturekit audit`: who logged each record and when, from git (blame on the partner file)."""
from __future__ import annotations

import subprocess
from datetime import datetime, timezone
from pathlib import Path

from .frontmatter import decode, split
from .yamlnodes import load


class AuditError(Exception):
    pass


def git(root: Path, *args) -> str:
    try:
        r = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, check=False)
    except FileNotFoundError:
        raise AuditError("git is not installed; the audit trail is read from git history")
    if r.returncode != 0:
        raise AuditError(r.stderr.strip() or f"git {' '.join(args)} failed")
    return r.stdout


def blame(root: Path, rel: str) -> dict:
    """final line number -> {sha, author, mail, time, summary}; uncommitted lines have sha None."""
    try:
        out = git(root, "blame", "--line-porcelain", "--", rel)
    except AuditError:
        return {}
    info, current, line_no = {}, {}, None
    for line in out.splitlines():
        if line.startswith("\t"):
            info[line_no] = current
            current = {}
            continue
        parts = line.split(" ")
        if len(parts) >= 3 and len(parts[0]) == 40 and all(c in "0123456789abcdef" for c in parts[0]):
            line_no = int(parts[2])
            current = {"sha": None if set(parts[0]) == {"0"} else parts[0][:8]}
        elif line.startswith("author "):
            current["author"] = line[7:]
        elif line.startswith("author-mail "):
            current["mail"] = line[12:]
        elif line.startswith("author-time "):
            current["time"] = datetime.fromtimestamp(int(line[12:]), tz=timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
        elif line.startswith("summary "):
            current["summary"] = line[8:]
    return info


def records(text: str, rel: str):
    """(label, line) for every history entry, referral and referral moment, in file order."""
    ytext, _, _, diags = split(text, rel)
    if ytext is None:
        return []
    node, diags = load(ytext, rel, line_offset=1)
    if node is None or node.kind != "map":
        return []
    out = []
    hist = node.get("history")
    for item in hist.value if hist is not None and hist.kind == "seq" else []:
        if item.kind == "map":
            d, p = item.get("date"), item.get("play")
            out.append((f"history: {d.raw if d else '?'} {p.raw if p else '?'}", item.line))
    refs = node.get("referrals")
    for item in refs.value if refs is not None and refs.kind == "seq" else []:
        if item.kind != "map":
            continue
        c, r = item.get("client"), item.get("received")
        out.append((f"referral: {c.raw if c else '?'} received {r.raw if r else '?'}", item.line))
        for key, (knode, vnode) in item.value.items():
            if key not in ("client", "received") and vnode.line != item.line:
                out.append((f"    {key}: {vnode.raw if vnode.kind == 'scalar' else '...'}", knode.line))
    return out


def audit(root: Path, pid: str):
    root = Path(root)
    rel = f"partners/{pid}.md"
    path = root / rel
    if not path.is_file():
        raise AuditError(f"{rel}: no such partner file")
    try:
        inside = git(root, "rev-parse", "--is-inside-work-tree").strip() == "true"
    except AuditError:
        inside = False
    if not inside:
        raise AuditError(f"{root} is not in a git repository: the audit trail comes from git history. "
                         f"Run `git init` and commit the workspace to start one.")
    top = Path(git(root, "rev-parse", "--show-toplevel").strip())
    rel_git = path.resolve().relative_to(top.resolve()).as_posix()
    text, _ = decode(path.read_bytes(), rel)
    who = blame(top, rel_git)
    rows = []
    for label, line in records(text or "", rel):
        b = who.get(line, {"sha": None})
        if b.get("sha"):
            rows.append(f"{rel}:{line}  {label}\n      added {b.get('time')} by {b.get('author')} {b.get('mail')} "
                        f"in {b['sha']} \"{b.get('summary', '')}\"")
        else:
            rows.append(f"{rel}:{line}  {label}\n      not committed yet")
    return rows
