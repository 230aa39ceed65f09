"""Speaker records: staff pages (search, edit, photo, availability, CSV) and public pages."""

from __future__ import annotations

from pathlib import Path
from typing import Any, BinaryIO

from flask import (
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_from_directory,
    url_for,
)
from flask_login import current_user
from sqlalchemy.orm import selectinload

from ..core.actions import carry_out
from ..core.auth import role_required
from ..core.forms import ButtonForm
from ..core.models import Forum, ForumDay, Role
from ..extensions import db
from . import speaker_profiles
from . import speaker_services as rules
from .blueprint import bp
from .models import Speaker
from .public_views import current_viewer
from .speaker_forms import (
    AvailabilityForm,
    SpeakerFilterForm,
    speaker_form_for,
)
from .speaker_photos import discard_photo_file
from .visibility import STAFF, Viewer, can_see_speaker, speaker_sessions, visible_forums


def _photo_dir() -> Path:
    return Path(current_app.config["SPEAKER_PHOTO_DIR"])


def _uploaded_photo(form) -> BinaryIO | None:
    return form.photo.data.stream if form.photo.data else None


def _speaker_or_404(speaker_id: int) -> Speaker:
    return db.get_or_404(
        Speaker,
        speaker_id,
        options=[selectinload(Speaker.person), selectinload(Speaker.forum_statuses)],
    )


def _query_values() -> dict[str, Any]:
    """The page's filters (the first value of each), to carry over into another page's URL.
    Typed Any: mypy would also match them against url_for's own ``_external: bool``."""
    return request.args.to_dict()


def _all_forums() -> list[Forum]:
    """Every forum, drafts included: organizers set a speaker's status for each."""
    return visible_forums(db.session, STAFF)


# --- Staff: list, search, export -----------------------------------------------------------


@bp.route("/staff/speakers")
@role_required(Role.ORGANIZER)
def staff_list():
    forums = _all_forums()
    filter_form = SpeakerFilterForm(forums, formdata=request.args)
    speakers = rules.find_speakers(db.session, filter_form.speaker_filter())
    return render_template(
        "agenda/speakers/staff_list.html",
        speakers=speakers,
        waiting=speaker_profiles.waiting_proposals(db.session),
        forums=forums,
        filter_form=filter_form,
        export_url=url_for("agenda.export_csv", **_query_values()),
    )


@bp.route("/staff/speakers/export.csv")
@role_required(Role.ORGANIZER)
def export_csv():
    forums = _all_forums()
    filter_form = SpeakerFilterForm(forums, formdata=request.args)
    body = rules.download_speakers_csv(
        db.session, filter_form.speaker_filter(), forums, current_user.id
    )
    return Response(
        body,
        mimetype="text/csv",
        headers={
            "Content-Disposition": 'attachment; filename="speakers.csv"',
            "Cache-Control": "no-store",  # staff-only contact details
        },
    )


# --- Staff: create, edit, delete -----------------------------------------------------------


@bp.route("/staff/speakers/new", methods=["GET", "POST"])
@role_required(Role.ORGANIZER)
def new():
    forums = _all_forums()
    form = speaker_form_for(forums)
    if form.validate_on_submit():
        done = carry_out(
            lambda: rules.create_speaker_record(
                db.session,
                form.speaker_input(),
                form.forum_statuses(),
                _uploaded_photo(form),
                _photo_dir(),
            ),
            form,
        )
        if done.ok:
            speaker = done.value
            flash(f"Added {speaker.name} as a speaker.", "success")
            return redirect(url_for("agenda.edit", speaker_id=speaker.id))
    status = 400 if form.errors else 200
    return render_template("agenda/speakers/edit.html", form=form, speaker=None), status


@bp.route("/staff/speakers/<int:speaker_id>/edit", methods=["GET", "POST"])
@role_required(Role.ORGANIZER)
def edit(speaker_id: int):
    speaker = _speaker_or_404(speaker_id)
    forums = _all_forums()
    form = speaker_form_for(forums, obj=speaker)
    if request.method == "GET":
        form.name.data = speaker.name
        form.email.data = speaker.person.email
        form.phone.data = speaker.person.phone
        for forum, status_field in zip(forums, form.forum_status_fields(), strict=True):
            status_field.data = speaker.status_for(forum.id) or ""
    if form.validate_on_submit():
        done = carry_out(
            lambda: rules.update_speaker_record(
                db.session,
                speaker,
                form.speaker_input(),
                form.forum_statuses(),
                photo=_uploaded_photo(form),
                remove_current_photo=form.remove_photo.data,
                photo_dir=_photo_dir(),
                changed_by=current_user.id,
            ),
            form,
        )
        if done.ok:
            discard_photo_file(_photo_dir(), done.value)
            flash(f"Saved {speaker.name}.", "success")
            return redirect(url_for("agenda.edit", speaker_id=speaker.id))
    status = 400 if form.errors else 200
    return (
        render_template(
            "agenda/speakers/edit.html", form=form, speaker=speaker, delete_form=ButtonForm()
        ),
        status,
    )


# --- Staff: a speaker's own profile changes, waiting for review ---------------------------


@bp.route("/staff/speakers/<int:speaker_id>/proposal/<decision>", methods=["POST"])
@role_required(Role.ORGANIZER)
def decide_proposal(speaker_id: int, decision: str):
    """Publish or decline the bio and photo a speaker sent from their own page."""
    speaker = _speaker_or_404(speaker_id)
    decisions = {
        "publish": (speaker_profiles.publish_proposal, f"Published {speaker.name}'s changes."),
        "decline": (
            speaker_profiles.decline_proposal,
            f"Declined {speaker.name}'s changes; the profile stays as it was.",
        ),
    }
    if decision not in decisions or not ButtonForm().validate_on_submit():
        abort(400)
    decide, said = decisions[decision]
    done = carry_out(lambda: decide(db.session, speaker, current_user.id), success=said)
    if done.ok:
        for name in done.value.discarded_photos:
            discard_photo_file(_photo_dir(), name)
    return redirect(url_for("agenda.edit", speaker_id=speaker.id))


@bp.route("/staff/speakers/<int:speaker_id>/proposal/photo")
@role_required(Role.ORGANIZER)
def proposed_photo(speaker_id: int):
    """The photo a speaker sent, for staff to look at before publishing it."""
    speaker = _speaker_or_404(speaker_id)
    proposal = speaker.profile_proposal
    if proposal is None or not proposal.photo_filename:
        abort(404)
    response = send_from_directory(_photo_dir(), proposal.photo_filename, mimetype="image/jpeg")
    response.cache_control.private = True
    response.cache_control.no_store = True
    return response


@bp.route("/staff/speakers/<int:speaker_id>/delete", methods=["POST"])
@role_required(Role.ORGANIZER)
def delete(speaker_id: int):
    speaker = _speaker_or_404(speaker_id)
    if not ButtonForm().validate_on_submit():
        abort(400)
    name = speaker.name
    done = carry_out(lambda: rules.delete_speaker(db.session, speaker))
    if not done.ok:
        return redirect(url_for("agenda.edit", speaker_id=speaker_id))
    discard_photo_file(_photo_dir(), done.value)
    flash(f"Deleted the speaker record of {name}.", "success")
    return redirect(url_for("agenda.staff_list"))


# --- Staff: availability -------------------------------------------------------------------


@bp.route("/staff/speakers/<int:speaker_id>/availability", methods=["GET", "POST"])
@role_required(Role.ORGANIZER)
def availability(speaker_id: int):
    speaker = _speaker_or_404(speaker_id)
    forums = _all_forums()
    form = AvailabilityForm(forums)
    if form.validate_on_submit():
        day = db.session.get(ForumDay, int(form.day.data))
        assert day is not None, "the form accepts only the ids of the days it offers"
        done = carry_out(
            lambda: rules.add_availability(
                db.session, speaker, day, form.start.data, form.end.data
            ),
            form,
            success="Added the time range.",
        )
        if done.ok:
            return redirect(url_for("agenda.availability", speaker_id=speaker.id))
    status = 400 if form.errors else 200
    return (
        render_template(
            "agenda/speakers/availability.html",
            speaker=speaker,
            form=form,
            remove_form=ButtonForm(),
        ),
        status,
    )


@bp.route(
    "/staff/speakers/<int:speaker_id>/availability/<int:availability_id>/remove",
    methods=["POST"],
)
@role_required(Role.ORGANIZER)
def remove_availability(speaker_id: int, availability_id: int):
    speaker = _speaker_or_404(speaker_id)
    if not ButtonForm().validate_on_submit():
        abort(400)
    if not rules.remove_availability(db.session, speaker, availability_id):
        abort(404)
    db.session.commit()
    flash("Removed the time range.", "success")
    return redirect(url_for("agenda.availability", speaker_id=speaker.id))


# --- Public --------------------------------------------------------------------------------


def _visible_speaker_or_404(speaker_id: int) -> tuple[Speaker, Viewer]:
    viewer = current_viewer()
    speaker = db.session.get(Speaker, speaker_id)
    if speaker is None or not can_see_speaker(viewer, speaker):
        abort(404)
    return speaker, viewer


@bp.route("/speakers/<int:speaker_id>")
def public_page(speaker_id: int):
    speaker, viewer = _visible_speaker_or_404(speaker_id)
    sessions = speaker_sessions(db.session, viewer, speaker)
    return render_template("agenda/speakers/public_page.html", speaker=speaker, sessions=sessions)


@bp.route("/speakers/<int:speaker_id>/photo")
def photo(speaker_id: int):
    speaker, _viewer = _visible_speaker_or_404(speaker_id)
    if not speaker.photo_filename:
        abort(404)
    response = send_from_directory(
        _photo_dir(), speaker.photo_filename, mimetype="image/jpeg", max_age=300
    )
    if not speaker.is_public:
        response.cache_control.public = False
        response.cache_control.private = True
    return response
