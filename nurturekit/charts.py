"""Inline SVG charts (no JavaScript, no library at view time). Pure: data in, markup out."""
from __future__ import annotations

from markupsafe import Markup, escape

PALETTE = ["#1f5fa8", "#d98a1c", "#1b6b3a", "#8e3b8c", "#a4161a", "#3a7d8c", "#6b6b6b"]
W, H, LEFT, RIGHT, BOTTOM = 720, 260, 44, 12, 30


def _ticks(top: float, percent: bool):
    if percent:
        return [0, 0.25, 0.5, 0.75, 1.0]
    top = max(1, top)
    for step in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000):
        if top / step <= 5:
            break
    n = int(-(-top // step))
    return [i * step for i in range(n + 1)]


def bars(chart_id, title, labels, series, *, percent=False, note=""):
    """Stacked bars. series: [(name, [value per label or None])]. Returns Markup."""
    totals = [sum(v or 0 for _, vals in series for v in [vals[i]]) for i in range(len(labels))]
    ticks = _ticks(max(totals, default=0), percent)
    top = ticks[-1] or 1
    legend = _legend(series)
    TOP = 16 + 16 * (max(y for _, _, y, _ in legend) // 16 if legend else 0) + 14
    plot_w, plot_h = W - LEFT - RIGHT, H - TOP - BOTTOM
    slot = plot_w / max(1, len(labels))
    bar_w = slot * 0.62
    out = [f'<svg class="chart" viewBox="0 0 {W} {H}" role="img" aria-labelledby="{chart_id}-t {chart_id}-d" '
           f'xmlns="http://www.w3.org/2000/svg">',
           f'<title id="{chart_id}-t">{escape(title)}</title>',
           f'<desc id="{chart_id}-d">{escape(describe(labels, series, percent))}{escape(note)}</desc>']
    for t in ticks:
        y = TOP + plot_h - plot_h * t / top
        label = f"{t * 100:.0f}%" if percent else f"{t:g}"
        out.append(f'<line x1="{LEFT}" x2="{W - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" stroke="#d9dee5"/>')
        out.append(f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{label}</text>')
    for i, label in enumerate(labels):
        x = LEFT + slot * i + (slot - bar_w) / 2
        base = TOP + plot_h
        for k, (name, vals) in enumerate(series):
            v = vals[i]
            if not v:
                continue
            h = plot_h * v / top
            base -= h
            shown = f"{v * 100:.0f}%" if percent else f"{v:g}"
            out.append(f'<rect x="{x:.1f}" y="{base:.1f}" width="{bar_w:.1f}" height="{h:.1f}" '
                       f'fill="{PALETTE[k % len(PALETTE)]}"><title>{escape(label)}: {escape(name)} {shown}</title></rect>')
        if all(vals[i] is None for _, vals in series):
            out.append(f'<text x="{x + bar_w / 2:.1f}" y="{TOP + plot_h - 4:.1f}" text-anchor="middle">n/a</text>')
        out.append(f'<text x="{x + bar_w / 2:.1f}" y="{H - BOTTOM + 16:.1f}" text-anchor="middle">{escape(label)}</text>')
    out.append(f'<line x1="{LEFT}" x2="{W - RIGHT}" y1="{TOP + plot_h}" y2="{TOP + plot_h}" stroke="#556070"/>')
    for name, x, y, colour in legend:
        out.append(f'<rect x="{x}" y="{y}" width="11" height="11" fill="{colour}"/>')
        out.append(f'<text x="{x + 15}" y="{y + 10}">{escape(name)}</text>')
    out.append("</svg>")
    return Markup("".join(out))


def _legend(series):
    """(name, x, y, colour) per series, wrapping onto new rows at the chart's width."""
    out, x, y = [], LEFT, 8
    for k, (name, _) in enumerate(series):
        width = 15 + 6.4 * len(name) + 14
        if x + width > W - RIGHT and x > LEFT:
            x, y = LEFT, y + 16
        out.append((name, round(x), y, PALETTE[k % len(PALETTE)]))
        x += width
    return out


def describe(labels, series, percent):
    def fmt(v):
        return "n/a" if v is None else (f"{v * 100:.0f}%" if percent else f"{v:g}")
    parts = []
    for i, label in enumerate(labels):
        parts.append(f"{label}: " + ", ".join(f"{name} {fmt(vals[i])}" for name, vals in series))
    return "; ".join(parts) + ". "
