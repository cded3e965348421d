"""The build, end to end, as a recipe."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .analysis import analyze
from .diagnostics import has_errors
from .loader import load_workspace
from .parallel import Other
from .site import Site
from .templates import Templates, salesy_templates
from .writer import WriteResult, check_output, write_files, write_site


@dataclass(frozen=True)
class BuildResult:
    diagnostics: list
    files: tuple | None          # every file of the site, sorted; None when nothing was built
    written: WriteResult | None
    analysis: object = None


def build(root: Path, out: Path, now, *, redact=False, cache=None, confirm=None) -> BuildResult:
    """Validate, compute, render and write. For a big practice the pages are rendered and
    written by two processes: this one does the practice-wide pages (dashboard, calendar,
    drafts index ...) and the first half of the partners, the other the reviews and the second
    half (at 1,000 partners the halves take about as long). The other half writes nothing
    until this one has rendered too without a template error, so a failed build still writes
    nothing.

    confirm: called once everything is rendered without an error, just before the first file is
    written; when it returns False nothing is written (`serve` drops a build a newer save made
    stale) and the result's `files` and `written` are None."""
    ws, diags = load_workspace(root, now.date(), cache=cache)
    if ws is None:
        return BuildResult(diags, None, None, None)
    templates = Templates(root)
    analysis = analyze(ws, now, salesy_templates(root, ws.playbook))
    ids = [p.id for p in ws.partners]
    half = len(ids) // 2

    def there():
        found = []
        return Site(analysis, templates, found, redact=redact).build(ids[half:], shared=False, reviews=True), found

    def finish(value):
        pages = value[0]
        return tuple(sorted(pages)), *write_files(pages, out)

    other = Other(there, report=lambda value: value[1], finish=finish, n_items=len(ids))
    pages = Site(analysis, templates, diags, redact=redact).build(ids[:half], shared=True, reviews=False)
    for d in other.summary():   # a template error met in the other half
        if d not in diags:
            diags.append(d)
    if has_errors(diags) or (confirm is not None and not confirm()):
        other.go(False)
        return BuildResult(diags, None, None, analysis)
    try:
        before = check_output(out)   # now: once the other half starts, its files are in `out` too
    except Exception:
        other.go(False)
        raise
    other.go(True)
    names = []

    def more():
        theirs = other.result()
        names.extend(theirs[0])
        return theirs
    written = write_site(pages, out, more=more, before=before)
    return BuildResult(diags, tuple(sorted(set(pages) | set(names))), written, analysis)
