"""The API's shapes: what pydantic would do on its own and the API never has, held here."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest

from forumapp.api import shapes
from forumapp.api.openapi import openapi_document
from forumapp.api.request_shapes import (
    BodyRefused,
    CheckInRequest,
    RegistrationRequest,
    TopicSuggestionsRequest,
)
from forumapp.core.clock import to_local


def _refusal(shape, body) -> dict[str, str]:
    with pytest.raises(BodyRefused) as refused:
        shape.read(json.dumps(body).encode())
    return refused.value.details


def _registration(**fields) -> dict:
    body = {"name": "Ada", "email": "ada@example.org", "consent": True, "days": ["2027-02-18"]}
    return body | fields


def _sent(app, shape) -> dict:
    """The JSON body ``answer`` sends for ``shape``."""
    with app.app_context():
        response, _status = shapes.answer(shape)
        return response.get_json()


def test_an_instant_in_utc_keeps_its_offset_rather_than_z(app):
    again = shapes.AlreadyCheckedIn(
        result="already_checked_in",
        message="Already checked in",
        attendee=shapes.CheckInAttendee(
            name="Ada", organization="", teams=[], accessibility_needs=""
        ),
        day=date(2027, 2, 18),
        checked_in_at=to_local(datetime(2027, 2, 18, 9, tzinfo=UTC), "UTC"),
        by=None,
    )
    assert _sent(app, again)["checked_in_at"] == "2027-02-18T09:00:00+00:00"


SPEAKER = dict(
    id=1, name="Ada", kind="faculty", title="", affiliation="", bio="", photo_url=None, sessions=[]
)


def test_a_field_left_unset_is_left_out_and_one_set_to_null_is_sent(app):
    public = _sent(app, shapes.Speaker(**SPEAKER))
    assert public["photo_url"] is None
    assert not {"email", "phone", "status", "staff_notes"} & set(public)
    staff = _sent(
        app,
        shapes.Speaker(
            **SPEAKER, email="ada@example.org", phone=None, status="confirmed", staff_notes=""
        ),
    )
    assert staff["phone"] is None and staff["email"] == "ada@example.org"
    # In the document: email may be left out but is never null; phone may be either.
    schema = openapi_document()["components"]["schemas"]["Speaker"]
    assert schema["properties"]["email"] == {"type": "string", "description": "Organizers only."}
    assert {"type": "null"} in schema["properties"]["phone"]["anyOf"]
    assert not {"email", "phone", "status", "staff_notes"} & set(schema["required"])


@pytest.mark.parametrize("value", [1, "true", "yes", 1.0])
def test_only_true_is_consent(value):
    assert list(_refusal(RegistrationRequest, _registration(consent=value))) == ["consent"]


@pytest.mark.parametrize("value", ["2027-W07-4", "20270218", "2027-02-18T00:00:00", 1802995200])
def test_a_day_is_a_plain_date_never_a_week_date_timestamp_or_instant(value):
    assert list(_refusal(RegistrationRequest, _registration(days=[value]))) == ["days"]
    assert list(_refusal(CheckInRequest, {"code": "ABC", "day": value})) == ["day"]


def test_text_both_too_long_and_unstorable_is_named_unstorable():
    details = _refusal(RegistrationRequest, _registration(community="x\x00" * 150))
    assert details == {
        "community": "Remove the control characters or broken Unicode from community."
    }


def test_a_blank_code_too_long_is_named_blank_and_half_a_surrogate_is_left_to_the_scan():
    assert _refusal(CheckInRequest, {"code": " " * 150}) == {
        "code": "Send the scanned or typed ticket code as a string."
    }
    assert CheckInRequest.read(json.dumps({"code": "\ud800"}).encode()).code == "\ud800"


def test_null_day_and_request_id_mean_left_out_though_the_document_never_says_null():
    scan = CheckInRequest.read(b'{"code": "ABC", "day": null, "request_id": null}')
    assert (scan.day, scan.request_id) == (None, None)
    request = openapi_document()["components"]["schemas"]["CheckInRequest"]
    assert "anyOf" not in request["properties"]["day"]
    assert "anyOf" not in request["properties"]["request_id"]
    assert not any("default" in prop for prop in request["properties"].values())


def test_too_many_suggestions_are_refused_as_a_whole_without_looking_at_each():
    body = {"suggestions": [{"text": 5}] * 501}
    assert _refusal(TopicSuggestionsRequest, body) == {
        "suggestions": "Send at most 500 suggestions at once."
    }


def test_check_in_refusals_list_every_refused_scan_result():
    from forumapp.attendance.scans import DoorResult
    from forumapp.checkin.outcomes import ScanResult

    refused = {result.value for result in ScanResult if not result.ok}
    refused |= {result.value for result in DoorResult if not result.ok}
    schema = openapi_document()["components"]["schemas"]["CheckInRefusal"]
    assert set(schema["enum"]) == refused | {"invalid_request", "not_today"}
