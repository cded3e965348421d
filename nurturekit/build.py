"""The build, end to end, as a recipe."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .analysis import analyze
from .diagnostics import has_errors
from .loader import load_workspace
from .parallel import both
from .site import Site
from .templates import Templates, salesy_templates
from .writer import WriteResult, write_site


@dataclass(frozen=True)
class BuildResult:
    diagnostics: list
    pages: dict | None
    written: WriteResult | None
    analysis: object = None


def render(root: Path, now, *, redact=False, cache=None):
    """Validate, compute and render. Returns (pages | None, diagnostics, analysis)."""
    ws, diags = load_workspace(root, now.date(), cache=cache)
    if ws is None:
        return None, diags, None
    templates = Templates(root)
    analysis = analyze(ws, now, salesy_templates(root, ws.playbook))
    pages = render_pages(analysis, templates, diags, redact)
    if has_errors(diags):   # a template error: never write a half-rendered site
        return None, diags, analysis
    return pages, diags, analysis


def render_pages(analysis, templates, diags, redact=False) -> dict:
    """Every page of the site. For a big practice the work is split across two processes: this
    one renders the dashboard, calendar and the rest of the practice-wide pages with the first
    half of the partners' pages, the other the reviews with the second half (measured at 1,000
    partners, the two halves take about as long)."""
    ids = [p.id for p in analysis.workspace.partners]
    half = len(ids) // 2

    def here():
        return Site(analysis, templates, diags, redact=redact).build(ids[:half], shared=True, reviews=False)

    def there():
        found = []
        return Site(analysis, templates, found, redact=redact).build(ids[half:], shared=False, reviews=True), found

    pages, (more, found) = both(here, there, len(ids))
    for d in found:   # a template error met in the other half
        if d not in diags:
            diags.append(d)
    pages.update(more)
    return pages


def build(root: Path, out: Path, now, *, redact=False, cache=None) -> BuildResult:
    pages, diags, analysis = render(root, now, redact=redact, cache=cache)
    if pages is None:
        return BuildResult(diags, None, None, analysis)
    return BuildResult(diags, pages, write_site(pages, out), analysis)
