"""Forms of the speaker pages: the speaker record, the list filters and availability."""

from __future__ import annotations

import re

from flask_wtf.file import FileAllowed, FileField, FileSize
from wtforms import (
    BooleanField,
    EmailField,
    SelectField,
    StringField,
    SubmitField,
    TelField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import DataRequired, InputRequired

from ..core.forms import AppForm, Length, search_field
from ..core.models import Forum
from .models import SpeakerKind, SpeakerStatus
from .speaker_services import SpeakerFilter, SpeakerInput

PHOTO_EXTENSIONS = ["jpg", "jpeg", "png", "webp", "gif"]
MAX_PHOTO_BYTES = 3 * 1024 * 1024

KIND_CHOICES = [
    (SpeakerKind.FACULTY.value, "Faculty"),
    (SpeakerKind.OUTSIDE_EXPERT.value, "Outside expert"),
    (SpeakerKind.TEAM_PANELIST.value, "Team panelist"),
]
STATUS_CHOICES = [(status.value, status.value.capitalize()) for status in SpeakerStatus]


def forum_label(forum: Forum) -> str:
    """ "Forum 2: Title", without saying the number twice when the title already does."""
    if re.match(rf"Forum {forum.number}\b", forum.title):
        return forum.title
    return f"Forum {forum.number}: {forum.title}"


class SpeakerForm(AppForm):
    """The speaker record; per-forum status fields are added by ``speaker_form_for``."""

    name = StringField(
        "Name", validators=[DataRequired("Enter the speaker's name."), Length(max=200)]
    )
    title = StringField("Title", validators=[Length(max=200)])
    affiliation = StringField("Affiliation", validators=[Length(max=200)])
    kind = SelectField("Kind of speaker", choices=KIND_CHOICES)
    bio = TextAreaField("Short bio", validators=[Length(max=2000)])
    bio_es = TextAreaField("Short bio in Spanish (optional)", validators=[Length(max=2000)])
    photo = FileField(
        "Photo",
        validators=[
            FileAllowed(PHOTO_EXTENSIONS, "Choose a JPEG, PNG, WebP or GIF image."),
            FileSize(MAX_PHOTO_BYTES, message="The photo must be 3 MB or smaller."),
        ],
    )
    remove_photo = BooleanField("Remove the current photo")
    is_public = BooleanField("Show this speaker on the public site")
    email = EmailField(
        "Email (staff only)",
        validators=[DataRequired("Enter the speaker's email address."), Length(max=254)],
    )
    phone = TelField("Phone (staff only)", validators=[Length(max=40)])
    status = SelectField("Overall status (staff only)", choices=STATUS_CHOICES)
    staff_notes = TextAreaField("Travel and honorarium notes (staff only)")
    submit = SubmitField("Save speaker")

    forum_ids: list[int] = []

    def speaker_input(self) -> SpeakerInput:
        return SpeakerInput(
            name=self.name.data or "",
            email=self.email.data or "",
            kind=self.kind.data,
            phone=self.phone.data or "",
            title=self.title.data or "",
            affiliation=self.affiliation.data or "",
            bio=self.bio.data or "",
            bio_es=self.bio_es.data or "",
            is_public=bool(self.is_public.data),
            status=self.status.data,
            staff_notes=self.staff_notes.data or "",
        )

    def forum_status_fields(self):
        return [self[f"forum_status_{forum_id}"] for forum_id in self.forum_ids]

    def forum_statuses(self) -> dict[int, str | None]:
        return {
            forum_id: self[f"forum_status_{forum_id}"].data or None for forum_id in self.forum_ids
        }


def speaker_form_for(forums: list[Forum], **kwargs) -> SpeakerForm:
    """A speaker form with one status choice per forum."""

    class SpeakerFormWithForums(SpeakerForm):
        pass

    for forum in forums:
        setattr(
            SpeakerFormWithForums,
            f"forum_status_{forum.id}",
            SelectField(
                forum_label(forum), choices=[("", "Not asked"), *STATUS_CHOICES], default=""
            ),
        )
    SpeakerFormWithForums.forum_ids = [forum.id for forum in forums]
    return SpeakerFormWithForums(**kwargs)


class SpeakerFilterForm(AppForm):
    """Search and filters of the staff list, read from the query string."""

    class Meta:
        csrf = False  # a GET that changes nothing

    q = search_field("Name, affiliation or email")
    kind = SelectField("Kind", choices=[("", "Any kind"), *KIND_CHOICES], default="")
    status = SelectField("Status", choices=[("", "Any status"), *STATUS_CHOICES], default="")
    forum = SelectField("Forum", choices=[("", "Any forum")], default="")

    def __init__(self, forums: list[Forum], *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.forum.choices = [("", "Any forum")] + [
            (str(forum.id), forum_label(forum)) for forum in forums
        ]

    def speaker_filter(self) -> SpeakerFilter:
        """The filters from the fields that hold valid values; invalid ones are ignored."""
        self.validate()

        def valid(field) -> str:
            return "" if field.errors else (field.data or "")

        forum = valid(self.forum)
        return SpeakerFilter(
            text=valid(self.q),
            kind=valid(self.kind) or None,
            status=valid(self.status) or None,
            forum_id=int(forum) if forum else None,
        )

    @property
    def is_filtered(self) -> bool:
        return any(field.data for field in (self.q, self.kind, self.status, self.forum))


class AvailabilityForm(AppForm):
    day = SelectField("Forum day", validators=[InputRequired("Choose a forum day.")])
    start = TimeField("Available from", validators=[InputRequired("Enter a start time.")])
    end = TimeField("Available until", validators=[InputRequired("Enter an end time.")])
    submit = SubmitField("Add time range")

    def __init__(self, forums: list[Forum], *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.day.choices = [
            (
                str(day.id),
                f"Forum {forum.number}, {day.date:%a} {day.date:%b} {day.date.day}, "
                f"{day.date.year} ({'public' if day.is_public else 'teams only'})",
            )
            for forum in forums
            for day in forum.days
        ]
