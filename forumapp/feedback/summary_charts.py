"""The charts the faculty pages show: response rates and ratings of a forum's summary, and the
measures across forums. Drawn by ``charts``; the numbers come from ``summary`` and
``measures``."""

from __future__ import annotations

from .charts import Bar, Chart, bar_chart, rating_chart
from .measures import ProgramMeasures
from .summary import FeedbackSummary, ResponseRate


def rate_text(rate: ResponseRate) -> str:
    """E.g. "12 of 40 (30%)"."""
    if not rate.attendees:
        return "no attendees"
    return f"{rate.responses} of {rate.attendees} ({rate.rate:.0%})"


def summary_charts(result: FeedbackSummary) -> dict:
    """``rates`` (by team), ``overall`` (the forum's rating) and ``sessions`` (item id: its
    ratings chart)."""
    rates = bar_chart(
        "chart-response-rate",
        "Response rate by team",
        [Bar(row.label, row.rate or 0, rate_text(row)) for row in result.team_rates],
        ("Team", "Answered"),
        max_value=1,
        summary=f"Overall {rate_text(result.overall_rate)} of attendees answered.",
    )
    overall = rating_chart("chart-overall", "Overall rating of the forum", result.overall.counts)
    sessions = {
        entry.item.id: rating_chart(
            f"chart-item-{entry.item.id}",
            f"Ratings of “{entry.item.title}”",
            entry.ratings.counts,
        )
        for entry in result.sessions
    }
    return {"rates": rates, "overall": overall, "sessions": sessions}


def measures_charts(result: ProgramMeasures) -> dict[str, Chart]:
    """Average rating, attendance and topics raised, forum by forum."""
    labels = [f"Forum {m.forum.number}" for m in result.forums]
    return {
        "rating": bar_chart(
            "chart-rating-by-forum",
            "Average overall rating by forum (out of 5)",
            [
                Bar(
                    label,
                    m.average_rating or 0,
                    f"{m.average_rating:.1f} ({m.responses} answers)"
                    if m.responses
                    else "no answers",
                )
                for label, m in zip(labels, result.forums, strict=True)
            ],
            ("Forum", "Average rating"),
            max_value=5,
        ),
        "attendance": bar_chart(
            "chart-attendance-by-forum",
            "Attendance by forum (people checked in)",
            [
                Bar(label, m.attendees, str(m.attendees))
                for label, m in zip(labels, result.forums, strict=True)
            ],
            ("Forum", "People checked in"),
        ),
        "topics": bar_chart(
            "chart-topics-by-forum",
            "Topics raised after each forum",
            [
                Bar(
                    label,
                    m.suggestions,
                    f"{m.suggestions} from {m.teams_raising} "
                    + ("team" if m.teams_raising == 1 else "teams"),
                )
                for label, m in zip(labels, result.forums, strict=True)
            ],
            ("Forum", "Topics"),
        ),
    }
