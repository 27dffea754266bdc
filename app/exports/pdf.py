"""The one-page credit file of a client: its pooled profile as a PDF, for approvals.

Drawn with ReportLab (platypus for the page, reportlab.graphics for the trend chart)
from the profile exactly as `GET /v1/clients/{id}/profile` answers it, so the file says
nothing the caller could not read there: a suppressed profile's figures are absent here
too, and trade lines carry letters, never members.
"""

from __future__ import annotations

import io
from typing import Any

from reportlab.graphics.shapes import Circle, Drawing, Line, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
from reportlab.platypus.flowables import KeepInFrame

MEDIA_TYPE = "application/pdf"
# A page holds this many trade lines; the rest are counted ("and 3 more").
MAX_TRADE_LINES = 12
BUCKET_LABELS = (
    ("current", "Current"),
    ("past_due_1_30", "1-30"),
    ("past_due_31_60", "31-60"),
    ("past_due_61_90", "61-90"),
    ("past_due_over_90", "Over 90"),
)
_LINE = colors.HexColor("#1f5fa8")
_GRID = TableStyle(
    [
        ("FONT", (0, 0), (-1, -1), "Helvetica", 8),
        ("FONT", (0, 0), (-1, 0), "Helvetica-Bold", 8),
        ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
        ("ALIGN", (1, 1), (-1, -1), "RIGHT"),
    ]
)


def _text(value: Any, empty: str = "-") -> str:
    return empty if value is None else str(value)


def _escaped(value: Any) -> str:
    # Paragraph reads a small markup language: a client's name is text, not markup.
    return _text(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def trend_chart(trend: list[dict]) -> Drawing:
    """The payment index month by month, 0-100: a dot per month with a figure, joined
    to the next month when it has one too; a month suppressed or not reported has no dot."""
    width, height = 170 * mm, 48 * mm
    left, bottom, plot_w, plot_h = 12 * mm, 10 * mm, 155 * mm, 30 * mm
    drawing = Drawing(width, height)
    drawing.add(
        String(
            0,
            height - 4 * mm,
            "12-month trend: payment index",
            fontName="Helvetica-Bold",
            fontSize=9,
        )
    )
    for value in range(0, 101, 20):
        y = bottom + plot_h * value / 100
        drawing.add(Line(left, y, left + plot_w, y, strokeColor=colors.lightgrey, strokeWidth=0.3))
        drawing.add(
            String(
                left - 2 * mm, y - 2, str(value), fontName="Helvetica", fontSize=6, textAnchor="end"
            )
        )
    step = plot_w / max(len(trend), 1)
    points = []
    for i, month in enumerate(trend):
        x = left + step * (i + 0.5)
        drawing.add(
            String(
                x,
                bottom - 5 * mm,
                month["month"],
                fontName="Helvetica",
                fontSize=5.5,
                textAnchor="middle",
            )
        )
        if month["payment_index"] is not None:
            points.append((i, x, bottom + plot_h * month["payment_index"] / 100))
    for (i0, x0, y0), (i1, x1, y1) in zip(points, points[1:], strict=False):
        if i1 == i0 + 1:  # a month without figures is a gap, not a slope
            drawing.add(Line(x0, y0, x1, y1, strokeColor=_LINE, strokeWidth=1.2))
    for _, x, y in points:
        drawing.add(Circle(x, y, 1.4, fillColor=_LINE, strokeColor=_LINE))
    if not points:
        drawing.add(
            String(
                left + plot_w / 2,
                bottom + plot_h / 2,
                "No month with figures that may be shown.",
                fontName="Helvetica",
                fontSize=7,
                textAnchor="middle",
            )
        )
    return drawing


def credit_file(profile: dict) -> bytes:
    """The PDF of one profile (`ProfileOut` as a dict): one A4 page."""
    styles = getSampleStyleSheet()
    client = profile["client"]
    address = client.get("address") or {}
    story: list = [
        Paragraph(f"Credit file: {_escaped(client['legal_name'])}", styles["Title"]),
        Paragraph(
            " &middot; ".join(
                _escaped(part)
                for part in (
                    client["country"],
                    client.get("tax_id") and f"Tax id {client['tax_id']}",
                    client.get("duns") and f"D-U-N-S {client['duns']}",
                    client.get("lei") and f"LEI {client['lei']}",
                    ", ".join(
                        p
                        for p in (
                            address.get("line1"),
                            address.get("postal_code"),
                            address.get("city"),
                        )
                        if p
                    )
                    or None,
                )
                if part
            ),
            styles["Normal"],
        ),
        Spacer(1, 4 * mm),
    ]
    summary = [
        [
            "As of",
            "Currency",
            "Contributors",
            "Payment index",
            "Risk tier",
            "Weighted DBT",
            "Inquiries (90 days)",
        ],
        [
            profile["as_of"],
            profile["currency"],
            _text(profile["contributors"]),
            _text(profile["payment_index"]),
            _text(profile["risk_tier"], "unrated"),
            _text(profile["weighted_dbt"]),
            _text(profile["inquiries_90d"]),
        ],
    ]
    story.append(Table(summary, style=_GRID, hAlign="LEFT"))
    story.append(Spacer(1, 3 * mm))
    if profile["suppressed"]:
        story.append(
            Paragraph(
                "The pooled figures are withheld by the group's anonymity rules "
                f"({_escaped(profile['suppression_reason'])}).",
                styles["Italic"],
            )
        )
    else:
        totals, aging = profile["totals"], profile["aging_pct"] or {}
        rows = [["", "High credit", "Total owed", *(label for _, label in BUCKET_LABELS)]]
        rows.append(
            [
                "Amount",
                totals["high_credit"],
                totals["total_owed"],
                *(totals[key] for key, _ in BUCKET_LABELS),
            ]
        )
        rows.append(
            [
                "Share of owed (%)",
                "",
                _text(aging.get("total_owed")),
                *(_text(aging.get(key)) for key, _ in BUCKET_LABELS),
            ]
        )
        story.append(Table(rows, style=_GRID, hAlign="LEFT"))
    story.append(Spacer(1, 3 * mm))
    story.append(trend_chart(profile["trend"]))
    lines = profile["trade_lines"]
    if lines:
        rows = [
            [
                "Contributor",
                "As of",
                "Terms",
                "High credit",
                "Total owed",
                "Past due",
                "DBT",
                "Comments",
            ]
        ]
        for line in lines[:MAX_TRADE_LINES]:
            past_due = sum(float(line[key]) for key, _ in BUCKET_LABELS[1:])
            rows.append(
                [
                    line["contributor"] + (" (you)" if line["is_own"] else ""),
                    line["as_of"],
                    f"net {line['terms_days']}",
                    line["high_credit"],
                    line["total_owed"],
                    f"{past_due:.2f}",
                    _text(line["dbt"]),
                    ", ".join(line["comments"])[:40],
                ]
            )
        story.append(Paragraph("Trade lines", styles["Heading4"]))
        story.append(Table(rows, style=_GRID, hAlign="LEFT"))
        if len(lines) > MAX_TRADE_LINES:
            story.append(Paragraph(f"and {len(lines) - MAX_TRADE_LINES} more", styles["Italic"]))
    legal, fraud = profile["legal_actions"], profile["fraud_alerts"]
    story.append(Paragraph("Legal actions and fraud alerts", styles["Heading4"]))
    facts = [
        f"{_escaped(a['kind'])} ({_escaped(a['status'])}), filed {_escaped(a['filed_on'])}"
        for a in legal[:6]
    ] + [
        f"Approved fraud report: {_escaped(f['category'])}, incident {_escaped(f['incident_date'])}"
        for f in fraud[:4]
    ]
    story.append(Paragraph("<br/>".join(facts) or "None on file.", styles["Normal"]))
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=12 * mm,
        bottomMargin=12 * mm,
        title=f"Credit file: {client['legal_name']}",
        author="creditpool",
    )
    # One page whatever the data: what does not fit is shrunk to fit.
    doc.build([KeepInFrame(doc.width, doc.height, story, mode="shrink")])
    return buffer.getvalue()
