"""Tiny inline-SVG horizontal bar charts (matplotlib is not a dependency of this project)."""

from __future__ import annotations

from html import escape
from typing import Any

BAR_W, ROW_H, BAR_H, CHAR_W = 360, 22, 14, 6.6
COLORS = {"subject": "#3b6fb6", "base": "#9aa5b1", "bad": "#c0392b", "good": "#2e8b57"}


def _num(value: float) -> str:
    if value == 0:
        return "0"
    if float(value).is_integer() and abs(value) < 1e6:
        return f"{int(value):,}"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.3g}"


def _panel(y: int, chart: dict[str, Any], label_w: int) -> tuple[list[str], int]:
    """Bars: [label, value, kind?, text?]; ``chart["cap"]`` clips long bars (the text still says the value)."""
    bars = chart["bars"]
    target = chart.get("target")
    unit = chart.get("unit", "")
    cap = chart.get("cap")
    top = max([min(b[1], cap) if cap else b[1] for b in bars] + ([target] if target else []) + [1e-12])
    scale = BAR_W / (top * 1.05)
    out = [f'<text x="10" y="{y + 16}" class="h">{escape(chart["title"])}</text>']
    y += 26
    for bar in bars:
        label, value = bar[0], float(bar[1])
        kind = bar[2] if len(bar) > 2 else "subject"
        text = bar[3] if len(bar) > 3 else f"{_num(value)} {unit}"
        clipped = bool(cap and value > cap)
        width = max(1.0, (cap if clipped else value) * scale)
        out.append(f'<text x="{label_w - 8}" y="{y + BAR_H - 3}" text-anchor="end">{escape(str(label))}</text>')
        color = COLORS.get(kind, kind)
        out.append(f'<rect x="{label_w}" y="{y}" width="{width:.1f}" height="{BAR_H}" fill="{color}"/>')
        if clipped:
            out.append(f'<text x="{label_w + width - 14:.1f}" y="{y + BAR_H - 3}" fill="#fff">≫</text>')
        out.append(f'<text x="{label_w + width + 6:.1f}" y="{y + BAR_H - 3}">{escape(text.strip())}</text>')
        y += ROW_H
    if target:
        x = label_w + target * scale
        first = y - ROW_H * len(bars) - 4
        out.append(f'<line x1="{x:.1f}" y1="{first}" x2="{x:.1f}" y2="{y}" class="t"/>')
        label = chart.get("target_label") or f"target {_num(target)} {unit}"
        out.append(f'<text x="{x + 3:.1f}" y="{y + 10}" class="small">{escape(label)}</text>')
        y += 12
    return out, y + 10


def svg(title: str, subtitle: str, charts: list[dict[str, Any]]) -> str:
    body: list[str] = [f'<text x="10" y="22" class="title">{escape(title)}</text>',
                       f'<text x="10" y="40" class="small">{escape(subtitle)}</text>']  # fmt: skip
    y = 52
    longest = max((len(str(b[0])) for c in charts for b in c["bars"]), default=10)
    label_w = int(min(640, max(160, longest * CHAR_W + 20)))
    width = label_w + BAR_W + 150
    for chart in charts:
        lines, y = _panel(y, chart, label_w)
        body += lines
    style = (
        "text{font-family:system-ui,sans-serif;font-size:12px;fill:#222}"
        ".title{font-size:15px;font-weight:600}.h{font-weight:600}.small{font-size:10px;fill:#555}"
        ".t{stroke:#c0392b;stroke-width:1.5;stroke-dasharray:4 3}"
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{y}" viewBox="0 0 {width} {y}">'
        f'<style>{style}</style><rect width="100%" height="100%" fill="#fff"/>' + "".join(body) + "</svg>\n"
    )


def _subtitle(data: dict[str, Any]) -> str:
    m, db = data.get("machine", {}), data.get("database", {})
    return (f"{data.get('date', '')} · {m.get('cpus')} × {m.get('cpu', '?')} · Python {m.get('python')} · "
            f"{db.get('vendor', '?')} {db.get('version', '')}{' · quick' if data.get('quick') else ''}")  # fmt: skip


def report_svg(data: dict[str, Any]) -> str:
    return svg(f"cnimgr benchmark: {data['name']}", _subtitle(data), data["charts"])


def summary_svg(results: list[dict[str, Any]]) -> str:
    """Every '<=' target as measured ÷ target: a bar left of the dashed line is met."""
    bars = []
    for data in results:
        for c in data["checks"]:
            if c["comparison"] == "<=" and c["target"]:
                share = c["measured"] / c["target"]
                bars.append([f"{data['name']}: {c['name']}", share, "good" if c["met"] else "bad", _num(share)])
    chart = {"title": "Measured ÷ target (≤ 1 means the target is met; bars clipped at 3)", "unit": "", "bars": bars,
             "target": 1.0, "target_label": "target", "cap": 3.0}  # fmt: skip
    return svg("cnimgr benchmarks: targets", _subtitle(results[0]) if results else "", [chart])
