"""A speaker's own page on their personal link (``/me/<token>/speaking``): their sessions and
materials, uploads to their own sessions, their public bio and photo (published at once or
after staff review, ``SPEAKER_PROFILE_REVIEW``) and the times they are available."""

from __future__ import annotations

from pathlib import Path

from flask import (
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    url_for,
)
from flask_babel import gettext as _

from ..agenda import speaker_profiles
from ..agenda import speaker_services as speaker_rules
from ..agenda.models import AgendaItem, Speaker
from ..agenda.speaker_photos import discard_photo_file, photo_jpeg, store_photo_file
from ..core import clock
from ..core.actions import carry_out
from ..core.body_limits import takes_bodies_up_to
from ..core.forms import ButtonForm
from ..core.i18n import format_date, local_text
from ..core.links import person_for_link_or_404
from ..core.models import ForumDay, Person
from ..core.rate_limits import personal_link_limit
from ..extensions import db
from . import services
from .forms import SpeakerAvailabilityForm, SpeakerMaterialForm, SpeakerProfileForm
from .models import Visibility
from .speaker_page import availability_days, speaker_of, speaker_page
from .storage import material_storage
from .upload_limit import speaker_upload_body_limit
from .views import bp


def _speaker_or_404(token: str) -> tuple[Person, Speaker]:
    person = person_for_link_or_404(token)
    speaker = speaker_of(db.session, person)
    if speaker is None:
        abort(404)
    return person, speaker


def _availability_form(speaker: Speaker, submitted: bool = False) -> SpeakerAvailabilityForm:
    form = SpeakerAvailabilityForm() if submitted else SpeakerAvailabilityForm(formdata=None)
    form.day.choices = [
        (str(day.id), f"{local_text(day.forum, 'title')}: {format_date(day.date)}")
        for day in availability_days(db.session, speaker, clock.utcnow())
    ]
    return form


def _profile_form(speaker: Speaker, submitted: bool = False) -> SpeakerProfileForm:
    if submitted:
        return SpeakerProfileForm()
    proposal = speaker.profile_proposal
    source = proposal if proposal is not None else speaker
    return SpeakerProfileForm(formdata=None, bio=source.bio, bio_es=source.bio_es)


def _render(
    token: str,
    person: Person,
    speaker: Speaker,
    status: int = 200,
    *,
    material_form: SpeakerMaterialForm | None = None,
    failed_item_id: int | None = None,
    profile_form: SpeakerProfileForm | None = None,
    availability_form: SpeakerAvailabilityForm | None = None,
):
    page = speaker_page(db.session, speaker, person, clock.utcnow())
    response = Response(
        render_template(
            "materials/speaker_page.html",
            page=page,
            person=person,
            speaker=speaker,
            token=token,
            form=material_form or SpeakerMaterialForm(formdata=None),
            failed_item_id=failed_item_id,
            profile_form=profile_form or _profile_form(speaker),
            availability_form=availability_form or _availability_form(speaker),
            button_form=ButtonForm(),
            reviewed=current_app.config["SPEAKER_PROFILE_REVIEW"],
            max_mb=current_app.config["MATERIALS_MAX_BYTES"] // (1024 * 1024),
        ),
        status=status,
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def _back(token: str, anchor: str):
    return redirect(url_for("materials.speaker_home", token=token) + f"#{anchor}")


@bp.route("/me/<token>/speaking")
def speaker_home(token: str):
    """A speaker's sessions, their materials and, afterwards, what attendees said."""
    person, speaker = _speaker_or_404(token)
    return _render(token, person, speaker)


@bp.route("/me/<token>/speaking/sessions/<int:item_id>/materials", methods=["POST"])
@takes_bodies_up_to(speaker_upload_body_limit)
@personal_link_limit
def speaker_upload(token: str, item_id: int):
    """A speaker adds a file to one of their own sessions."""
    person, speaker = _speaker_or_404(token)
    item = db.session.get(AgendaItem, item_id)
    if item is None or all(link.speaker_id != speaker.id for link in item.speaker_links):
        abort(404)
    form = SpeakerMaterialForm()
    upload = form.file.data
    if form.validate_on_submit() and upload and getattr(upload, "filename", ""):
        outcome = carry_out(
            lambda: services.add_file(
                db.session,
                material_storage(),
                item.day.forum,
                item,
                services.MaterialInput(
                    form.title.data or "", visibility=Visibility(form.visibility.data)
                ),
                upload.filename or "",
                upload.read(),
                current_app.config["MATERIALS_MAX_BYTES"],
                services.Uploader(speaker_id=speaker.id),
            ),
            form,
            success=_("Uploaded: %(title)s", title=form.title.data),
        )
        if outcome.ok:
            return _back(token, f"session-{item.id}")
    elif not form.errors:
        form.file.errors = [_("Choose a file.")]
    return _render(token, person, speaker, 400, material_form=form, failed_item_id=item.id)


@bp.route("/me/<token>/speaking/profile", methods=["POST"])
@personal_link_limit
def speaker_profile(token: str):
    """A speaker changes their public bio and photo (for staff to publish, when reviewed)."""
    person, speaker = _speaker_or_404(token)
    form = SpeakerProfileForm()
    if not form.validate_on_submit():
        return _render(token, person, speaker, 400, profile_form=form)
    photo_dir = Path(current_app.config["SPEAKER_PHOTO_DIR"])
    review = current_app.config["SPEAKER_PROFILE_REVIEW"]
    stored: list[str] = []

    def change() -> speaker_profiles.ProfileOutcome:
        photo_name = None
        if form.photo.data:
            photo_name = store_photo_file(photo_jpeg(form.photo.data.stream), photo_dir)
            stored.append(photo_name)
        return speaker_profiles.propose_profile(
            db.session,
            speaker,
            form.bio.data or "",
            form.bio_es.data or "",
            photo_name,
            review=review,
        )

    outcome = carry_out(
        change,
        form,
        success=_("Thank you: the program staff will publish your changes soon.")
        if review
        else _("Your profile is updated."),
    )
    if not outcome.ok:
        for name in stored:  # a photo stored for a change that was refused
            discard_photo_file(photo_dir, name)
        return _render(token, person, speaker, 400, profile_form=form)
    for name in outcome.value.discarded_photos:
        discard_photo_file(photo_dir, name)
    return _back(token, "profile")


@bp.route("/me/<token>/speaking/availability", methods=["POST"])
@personal_link_limit
def speaker_add_availability(token: str):
    """A speaker adds a time range when they can be scheduled."""
    person, speaker = _speaker_or_404(token)
    form = _availability_form(speaker, submitted=True)
    if form.validate_on_submit():
        day = db.session.get(ForumDay, int(form.day.data))
        if day is None:
            abort(404)
        outcome = carry_out(
            lambda: speaker_rules.add_availability(
                db.session, speaker, day, form.start.data, form.end.data
            ),
            form,
            success=_("Added the time range."),
        )
        if outcome.ok:
            return _back(token, "availability")
    return _render(token, person, speaker, 400, availability_form=form)


@bp.route("/me/<token>/speaking/availability/<int:availability_id>/remove", methods=["POST"])
@personal_link_limit
def speaker_remove_availability(token: str, availability_id: int):
    """A speaker removes one of their time ranges."""
    _person, speaker = _speaker_or_404(token)
    if not ButtonForm().validate_on_submit():
        abort(400)
    if not speaker_rules.remove_availability(db.session, speaker, availability_id):
        abort(404)
    db.session.commit()
    flash(_("Removed the time range."), "success")
    return _back(token, "availability")
