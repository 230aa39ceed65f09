"""Every route in the URL map is either public on purpose or checks the staff role."""

import re

import pytest

from forumapp.core.models import Role

from ..conftest import csrf_token

# Routes anyone may reach. A new route must be added here deliberately or carry a role check.
PUBLIC_ENDPOINTS = {
    "static",
    "agenda.home",
    "core.healthz",
    "agenda.program_page",
    "agenda.forum_page",
    "agenda.public_page",
    "agenda.photo",
    "core.login",
    "core.logout",  # needs any sign-in; checked in test_auth
    "api.forums",
    "api.forum_agenda",
    "api.speaker",
    "api.openapi",
    "api.create_registration",  # public registration: tests/api/test_registration_api
    "feedback.respond",  # personal link: checked in test_feedback_pages
    "feedback.suggest_topic",
    # Public registration and the personal link (token in the URL): tests/registration.
    "registration.public_register",
    "registration.resend_link",
    "registration.registration_sent",
    "registration.confirm_public_request",  # signed link from the inbox: test_identity
    "attendee.personal_page",
    "attendee.personal_agenda",
    "attendee.save_language",  # personal link in the URL: tests/i18n/test_mail_and_attendee
    "registration.team_register",
    "registration.cancel_seat",
    "registration.save_breakouts",
    "registration.drop_pick",
    "registration.renew_personal_link",
    "registration.team_roster_pm",
    "registration.team_roster_pm_remove",
    # Calendar downloads and feeds (tests/calendar); renew_feed: personal link in the URL.
    "calendar.day_download",
    "calendar.item_download",
    "calendar.program_feed",
    "calendar.personal_feed",
    "calendar.renew_feed",
    "checkin.ticket_image",  # personal link in the URL: tests/checkin/test_tickets
    "checkin.ticket_page",
    "checkin.reissue",
    "checkin.door_service_worker",  # holds no data: tests/browser/test_door_offline
    # A team's commitments on the personal link: tests/commitments/test_pages.
    "commitments.team_page",
    "commitments.members_may_commit",
    "commitments.progress_page",
    "api.linked_team_commitments",
    "api.linked_create_commitment",
    "api.linked_update_commitment",
    # Material files check who may see each one: tests/materials/test_materials.
    "materials.public_file",
    "materials.personal_file",
    "api.forum_materials_json",
    "materials.resources_page",
    "materials.resources_feed",
    "materials.speaker_home",  # personal link: tests/materials/test_speaker_page
    "materials.speaker_upload",
    "materials.speaker_profile",  # tests/materials/test_speaker_profile
    "materials.speaker_add_availability",
    "materials.speaker_remove_availability",
    # Certificates: the holder's by personal link, verification for anyone
    # (tests/attendance/test_certificates).
    "attendance.certificate_pdf",
    "attendance.verify",
}
VISITORS = [None, *Role]


def _staff_rules(app):
    rules = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in PUBLIC_ENDPOINTS:
            continue
        view = app.view_functions[rule.endpoint]
        rules.append((rule, getattr(view, "required_roles", None)))
    return rules


def _example_url(rule) -> str:
    # Any id will do: the role check comes before the record is looked up.
    return re.sub(r"<(?:[^:<>]+:)?[^<>]+>", "1", rule.rule)


def test_every_non_public_route_declares_its_roles(app):
    unchecked = [rule.rule for rule, roles in _staff_rules(app) if not roles]
    assert unchecked == [], f"routes without @role_required: {unchecked}"
    assert len(_staff_rules(app)) >= 4


@pytest.mark.parametrize("visitor", VISITORS, ids=lambda v: v or "anonymous")
def test_each_role_reaches_exactly_its_staff_routes(app, client, signed_in, visitor):
    if visitor is not None:
        signed_in(visitor)
    token = csrf_token(client, "/" if visitor else "/login")
    outcomes = {}
    for rule, roles in _staff_rules(app):
        url = _example_url(rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            if method == "GET":
                response = client.get(url)
            else:
                response = client.open(url, method=method, data={"csrf_token": token})
            outcomes[(method, rule.rule)] = (response, roles)

    for (method, path), (response, roles) in outcomes.items():
        where = f"{visitor or 'anonymous'} {method} {path}"
        if visitor is None:
            if path.startswith("/api/"):
                assert response.status_code == 401, where
            else:
                assert response.status_code == 302, where
                assert "/login" in response.headers["Location"], where
        elif visitor in roles:
            assert response.status_code not in (401, 403), where
            assert "/login" not in response.headers.get("Location", ""), where
        else:
            assert response.status_code == 403, where
