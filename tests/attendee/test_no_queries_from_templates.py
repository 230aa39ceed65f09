"""Pages that combine features are built at the top from a read model: no template global or
context processor hands templates something that queries the database while they render."""

from __future__ import annotations

from ..support.queries import statements_sent

# What the personal page once pulled while rendering: a ticket, the calendar feed, the
# feedback panel.
QUERYING_HELPERS = {"ticket_state", "personal_calendar", "feedback_panel_for"}


def test_no_template_global_fetches_a_part_of_the_personal_page(app):
    assert QUERYING_HELPERS & set(app.jinja_env.globals) == set()


def test_context_processors_send_no_query_and_fetch_no_part_of_the_personal_page(app):
    provided: set[str] = set()
    with app.test_request_context("/"), statements_sent(app) as sent:
        for processors in app.template_context_processors.values():
            for processor in processors:
                provided |= set(processor())
    assert QUERYING_HELPERS & provided == set()
    assert sent == []
