"""Speaker records: staff pages (search, edit, photo, availability, CSV) and public pages."""

from __future__ import annotations

from pathlib import Path

from flask import (
    Blueprint,
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

from ..core import audit
from ..core.auth import role_required
from ..core.forms import ButtonForm, show_errors
from ..core.models import ForumDay, Role
from ..extensions import db
from . import services
from . import speaker_services as rules
from .models import Speaker
from .speaker_forms import (
    AvailabilityForm,
    SpeakerFilterForm,
    speaker_form_for,
)
from .speaker_services import SpeakerError

bp = Blueprint("speakers", __name__)


def _photo_dir() -> Path:
    return Path(current_app.config["SPEAKER_PHOTO_DIR"])


def _speaker_or_404(speaker_id: int) -> Speaker:
    speaker = db.session.get(
        Speaker,
        speaker_id,
        options=[selectinload(Speaker.person), selectinload(Speaker.forum_statuses)],
    )
    if speaker is None:
        abort(404)
    return speaker


# --- Staff: list, search, export -----------------------------------------------------------


@bp.route("/staff/speakers")
@role_required(Role.ORGANIZER)
def staff_list():
    forums = rules.all_forums(db.session)
    filter_form = SpeakerFilterForm(forums, formdata=request.args)
    speakers = rules.find_speakers(db.session, filter_form.speaker_filter())
    return render_template(
        "agenda/speakers/staff_list.html",
        speakers=speakers,
        forums=forums,
        filter_form=filter_form,
        export_url=url_for("speakers.export_csv", **request.args),
    )


@bp.route("/staff/speakers/export.csv")
@role_required(Role.ORGANIZER)
def export_csv():
    forums = rules.all_forums(db.session)
    filter_form = SpeakerFilterForm(forums, formdata=request.args)
    speakers = rules.find_speakers(db.session, filter_form.speaker_filter())
    # The byte-order mark lets Excel read names with accents correctly.
    body = "\ufeff" + rules.speakers_csv(speakers, forums)
    audit.record_download(
        db.session, current_user.id, "export.speakers_csv", speakers=len(speakers)
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
    forums = rules.all_forums(db.session)
    form = speaker_form_for(forums)
    if form.validate_on_submit():
        try:
            # The photo is checked before anything is saved, so a bad file changes nothing.
            jpeg = rules.photo_jpeg(form.photo.data.stream) if form.photo.data else None
            speaker = rules.create_speaker(db.session, form.speaker_input())
            rules.set_forum_statuses(db.session, speaker, form.forum_statuses())
            if jpeg is not None:
                rules.save_photo(db.session, speaker, jpeg, _photo_dir())
            db.session.commit()
        except SpeakerError as error:
            db.session.rollback()
            show_errors(form, {error.field: str(error)})
        else:
            flash(f"Added {speaker.name} as a speaker.", "success")
            return redirect(url_for("speakers.edit", speaker_id=speaker.id))
    status = 400 if form.errors else 200
    return render_template("agenda/speakers/edit.html", form=form, speaker=None), status


@bp.route("/staff/speakers/<int:speaker_id>/edit", methods=["GET", "POST"])
@role_required(Role.ORGANIZER)
def edit(speaker_id: int):
    speaker = _speaker_or_404(speaker_id)
    forums = rules.all_forums(db.session)
    form = speaker_form_for(forums, obj=speaker)
    if request.method == "GET":
        form.name.data = speaker.name
        form.email.data = speaker.person.email
        form.phone.data = speaker.person.phone
        for forum, status_field in zip(forums, form.forum_status_fields(), strict=True):
            status_field.data = speaker.status_for(forum.id) or ""
    if form.validate_on_submit():
        try:
            jpeg = rules.photo_jpeg(form.photo.data.stream) if form.photo.data else None
            rules.update_speaker(db.session, speaker, form.speaker_input(), current_user.id)
            rules.set_forum_statuses(db.session, speaker, form.forum_statuses())
            old_photo = None
            if jpeg is not None:
                old_photo = rules.save_photo(db.session, speaker, jpeg, _photo_dir())
            elif form.remove_photo.data:
                old_photo = rules.remove_photo(db.session, speaker)
            db.session.commit()
        except SpeakerError as error:
            db.session.rollback()
            show_errors(form, {error.field: str(error)})
        else:
            rules.discard_photo_file(_photo_dir(), old_photo)
            flash(f"Saved {speaker.name}.", "success")
            return redirect(url_for("speakers.edit", speaker_id=speaker.id))
    status = 400 if form.errors else 200
    return (
        render_template(
            "agenda/speakers/edit.html", form=form, speaker=speaker, delete_form=ButtonForm()
        ),
        status,
    )


@bp.route("/staff/speakers/<int:speaker_id>/delete", methods=["POST"])
@role_required(Role.ORGANIZER)
def delete(speaker_id: int):
    speaker = _speaker_or_404(speaker_id)
    if not ButtonForm().validate_on_submit():
        abort(400)
    name = speaker.name
    try:
        photo = rules.delete_speaker(db.session, speaker)
        db.session.commit()
    except SpeakerError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for("speakers.edit", speaker_id=speaker_id))
    rules.discard_photo_file(_photo_dir(), photo)
    flash(f"Deleted the speaker record of {name}.", "success")
    return redirect(url_for("speakers.staff_list"))


# --- Staff: availability -------------------------------------------------------------------


@bp.route("/staff/speakers/<int:speaker_id>/availability", methods=["GET", "POST"])
@role_required(Role.ORGANIZER)
def availability(speaker_id: int):
    speaker = _speaker_or_404(speaker_id)
    forums = rules.all_forums(db.session)
    form = AvailabilityForm(forums)
    if form.validate_on_submit():
        day = db.session.get(ForumDay, int(form.day.data))
        try:
            rules.add_availability(db.session, speaker, day, form.start.data, form.end.data)
            db.session.commit()
        except SpeakerError as error:
            db.session.rollback()
            show_errors(form, {error.field: str(error)})
        else:
            flash("Added the time range.", "success")
            return redirect(url_for("speakers.availability", speaker_id=speaker.id))
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
    return redirect(url_for("speakers.availability", speaker_id=speaker.id))


# --- Public --------------------------------------------------------------------------------


def _visible_speaker_or_404(speaker_id: int) -> tuple[Speaker, services.Viewer]:
    viewer = services.STAFF if current_user.is_authenticated else services.PUBLIC
    speaker = db.session.get(Speaker, speaker_id)
    if speaker is None or not services.can_see_speaker(viewer, speaker):
        abort(404)
    return speaker, viewer


@bp.route("/speakers/<int:speaker_id>")
def public_page(speaker_id: int):
    speaker, viewer = _visible_speaker_or_404(speaker_id)
    sessions = services.speaker_sessions(db.session, viewer, speaker)
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
