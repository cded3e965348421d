"""The build, end to end, as a recipe."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .analysis import analyze
from .diagnostics import has_errors
from .loader import load_workspace
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
    pages = Site(analysis, templates, diags, redact=redact).build()
    if has_errors(diags):   # a template error: never write a half-rendered site
        return None, diags, analysis
    return pages, diags, analysis


def build(root: Path, out: Path, now, *, redact=False, cache=None) -> BuildResult:
    pages, diags, analysis = render(root, now, redact=redact, cache=cache)
    if pages is None:
        return BuildResult(diags, None, None, analysis)
    return BuildResult(diags, pages, write_site(pages, out), analysis)
