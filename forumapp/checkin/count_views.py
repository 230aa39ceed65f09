"""Live check-in counts for organizers and faculty: a forum's days, checked in against
expected, per team, and a bar chart of arrivals."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import render_template
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..core.auth import role_required
from ..core.clock import utcnow
from ..core.models import Forum, ForumStatus
from ..extensions import db
from .blueprint import COUNT_READERS, bp
from .counts import live_counts
from .offline import day_conflicts


@dataclass
class Bar:
    x: int
    y: int
    height: int
    label: str
    count: int
    labelled: bool  # whether the time is written under this bar


@dataclass
class ArrivalChart:
    """An SVG bar chart of arrivals per time bucket, computed here so the template stays plain."""

    bars: list[Bar]
    width: int
    height: int
    bar_width: int
    plot_height: int
    peak: int


def arrival_chart(arrivals: list[tuple[datetime, int]], plot_height: int = 120) -> ArrivalChart:
    """The bars for ``arrivals`` (bucket start, count), the tallest ``plot_height`` high."""
    bar_width, gap, top = 22, 6, 18  # top leaves room for the count above the tallest bar
    peak = max((count for _, count in arrivals), default=0)
    bars = []
    for index, (start, count) in enumerate(arrivals):
        height = round(count / peak * plot_height) if peak else 0
        bars.append(
            Bar(
                x=index * (bar_width + gap),
                y=top + plot_height - height,
                height=height,
                label=start.strftime("%I:%M %p").lstrip("0"),
                count=count,
                labelled=start.minute == 0 or len(arrivals) <= 6,
            )
        )
    return ArrivalChart(
        bars=bars,
        width=len(bars) * (bar_width + gap) + 48,  # room for the last time label
        height=top + plot_height + 36,
        bar_width=bar_width,
        plot_height=top + plot_height,
        peak=peak,
    )


@bp.route("/staff/checkin")
@role_required(*COUNT_READERS)
def counts_index():
    forums = db.session.scalars(
        select(Forum)
        .where(Forum.status != ForumStatus.DRAFT)
        .options(selectinload(Forum.days), selectinload(Forum.program))
        .order_by(Forum.program_id, Forum.number)
    ).all()
    return render_template("checkin/counts_index.html", forums=forums)


@bp.route("/staff/forums/<int:forum_id>/checkin")
@role_required(*COUNT_READERS)
def counts(forum_id: int):
    forum = db.get_or_404(Forum, forum_id)
    days = [live_counts(db.session, day) for day in forum.days]
    return render_template(
        "checkin/counts.html",
        forum=forum,
        days=days,
        charts={counts.day.id: arrival_chart(counts.arrivals) for counts in days},
        conflicts={day.id: day_conflicts(db.session, day) for day in forum.days},
        updated_at=utcnow(),
    )
