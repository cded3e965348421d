"""Metrics page, monthly and quarterly reviews, the 90-day plan (filled in by the reviews work)."""
from __future__ import annotations

from .metrics import DEFINITIONS, LABELS
from .textout import fmt_target, fmt_value


def metric_rows(a):
    return [{"name": k, "label": LABELS[k], "definition": DEFINITIONS[k], "value": fmt_value(k, m["value"]),
             "target": fmt_target(k, m["target"]), "status": m["status"] or "none",
             "status_label": {"below": "below target", "above": "above target", "on-target": "on target"}.get(
                 m["status"], "no target")} for k, m in a.metrics.items()]


def review_pages(site):
    site.render("metrics.html", "metrics.html.j2", title="Metrics", rows=metric_rows(site.a), charts=[])
    site.render("reviews/index.html", "reviews.html.j2", title="Reviews", months=[], quarters=[], plan=None)


def review_cli(a, month, quarter, fmt):
    raise NotImplementedError
