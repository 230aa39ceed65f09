"""forumapp: agendas, registration, check-in and feedback for a series of peer-learning forums."""

from __future__ import annotations

import os
from pathlib import Path

from flask import Flask, abort, request
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from config import CONFIGS, INSTANCE_DIR, BaseConfig, engine_options, require_strong_secret_key

from .core.body_limits import init_body_limits
from .core.database import (
    SAFE_METHODS,
    discard,
    install_database_behaviour,
    is_storable_text,
)
from .core.headers import CONTENT_SECURITY_POLICY
from .core.i18n import init_i18n
from .extensions import csrf, db, limiter, login_manager, migrate
from .extensions import mail as mail_extension  # `mail` is also the outbox package's name

PROJECT_DIR = Path(__file__).resolve().parent.parent
# templates/, static/ and migrations/ sit at the repository root; a wheel carries them inside
# the package, as forumapp/_shipped/ (setup.py's build step), since its parent is site-packages.
_SHIPPED_DIR = Path(__file__).resolve().parent / "_shipped"
RESOURCE_DIR = _SHIPPED_DIR if _SHIPPED_DIR.is_dir() else PROJECT_DIR


class DatabaseIdConverter(IntegerConverter):
    """``<int:...>`` in routes. Ids are 32-bit integers in the database: a larger one cannot
    exist, and the driver would raise on it rather than find nothing, so it becomes 0, which no
    row has, and the view answers "not found" as for any unknown id. Only ASCII digits are
    an id."""

    MAX_ID = 2**31 - 1
    # Werkzeug's ``\\d+`` takes any script's digits ("٣", "３"), which ``int()`` reads as
    # another id: an address with them is simply not found.
    regex = "[0-9]+"

    def to_python(self, value: str) -> int:
        number = super().to_python(value)
        return number if number <= self.MAX_ID else 0


def create_app(config_name_or_object: str | type | object | None = None) -> Flask:
    """Build the app. ``None`` reads ``FORUMAPP_CONFIG`` (default ``development``).

    Any configuration but development and testing refuses a missing, short or published
    ``SECRET_KEY`` (``RuntimeError``)."""
    app = Flask(
        __name__,
        template_folder=str(RESOURCE_DIR / "templates"),
        static_folder=str(RESOURCE_DIR / "static"),
        instance_path=str(INSTANCE_DIR),  # see config.py: never inside site-packages
    )
    _load_config(app, config_name_or_object)
    _trust_proxies(app)
    init_body_limits(app)  # first: the hooks the extensions add may read the body
    app.url_map.converters["int"] = DatabaseIdConverter
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)

    install_database_behaviour()
    db.init_app(app)
    # Registered after Flask-SQLAlchemy's own teardown, so it runs before the session's removal.
    app.teardown_appcontext(_end_request_transaction)
    migrate.init_app(
        app, db, directory=str(RESOURCE_DIR / "migrations"), render_as_batch=True, compare_type=True
    )
    mail_extension.init_app(app)
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "core.login"
    limiter.init_app(app)
    init_i18n(app)

    # Importing a feature's page modules adds their routes to its one blueprint; the models
    # modules make every table known to Alembic.
    from .agenda import public_views, speaker_views  # noqa: F401
    from .agenda import views as _agenda_views  # noqa: F401
    from .agenda.blueprint import bp as agenda_bp
    from .api import bp as api_bp
    from .attendance import certificate_views as _attendance_certificate_views  # noqa: F401
    from .attendance import credit_views as _attendance_credit_views  # noqa: F401
    from .attendance import door_views as _attendance_door_views  # noqa: F401
    from .attendance import models as _attendance_models  # noqa: F401
    from .attendance import record_views as _attendance_record_views  # noqa: F401
    from .attendance.blueprint import bp as attendance_bp
    from .attendee.views import bp as attendee_bp
    from .calendar import models as _calendar_models  # noqa: F401
    from .calendar import views as calendar_views
    from .calendar.receivers import register_calendar
    from .checkin import badge_views, breakout_views, count_views, door_views, ticket_views  # noqa: F401
    from .checkin import models as _checkin_models  # noqa: F401
    from .checkin import offline_views as _offline_views  # noqa: F401
    from .checkin.blueprint import bp as checkin_bp
    from .checkin.receivers import register_checkin
    from .cli import register_cli
    from .commitments import models as _commitments_models  # noqa: F401
    from .commitments import views as commitments_views
    from .commitments.receivers import register_commitments
    from .core import audit as _audit_models  # noqa: F401
    from .core import auth as _auth_views  # noqa: F401
    from .core import views as _core_views  # noqa: F401
    from .core.blueprint import bp as core_bp
    from .core.errors import register_error_handlers
    from .core.templating import register_template_helpers
    from .feedback import attendee_views, collecting_views, summary_views, topic_views  # noqa: F401
    from .feedback import models as _feedback_models  # noqa: F401
    from .feedback.blueprint import bp as feedback_bp
    from .language_access import views as language_access_views
    from .language_access.receivers import register_language_access
    from .mail import models as _mail_models  # noqa: F401
    from .mail import views as outbox_views
    from .materials import models as _materials_models  # noqa: F401
    from .materials import speaker_views as _materials_speaker_views  # noqa: F401
    from .materials import views as materials_views
    from .materials.receivers import register_materials
    from .materials.storage import init_storage
    from .measures import views as measures_views
    from .messages import models as _messages_models  # noqa: F401
    from .messages import views as messages_views
    from .messages.receivers import register_messages
    from .privacy import views as privacy_views
    from .registration import staff_views as _registration_staff_views  # noqa: F401
    from .registration import views as _registration_views  # noqa: F401
    from .registration.blueprint import bp as registration_bp
    from .registration.receivers import register_registration

    # One blueprint per feature, lowest first.
    for blueprint in (
        core_bp,
        outbox_views.bp,
        agenda_bp,
        registration_bp,
        language_access_views.bp,
        calendar_views.bp,
        checkin_bp,
        feedback_bp,
        attendance_bp,
        messages_views.bp,
        commitments_views.bp,
        measures_views.bp,
        materials_views.bp,
        privacy_views.bp,
    ):
        app.register_blueprint(blueprint)
    init_storage(app)
    register_registration(app)
    register_language_access(app)
    register_calendar(app)
    register_checkin(app)
    register_messages(app)
    register_commitments(app)
    register_materials(app)
    # The API authenticates with bearer tokens, not cookies, so it needs no CSRF token.
    csrf.exempt(api_bp)
    app.register_blueprint(api_bp)
    # The top feature: pages that combine the others (the personal page).
    app.register_blueprint(attendee_bp)

    register_error_handlers(app)
    register_template_helpers(app)
    register_cli(app)
    _add_security_headers(app)
    _refuse_unstorable_form_text(app)
    return app


def _end_request_transaction(error: BaseException | None) -> None:
    # What the request left uncommitted is not kept; after an error the session's removal
    # rolls back as ever.
    if error is None:
        discard(db.session)


def _load_config(app: Flask, config_name_or_object) -> None:
    if config_name_or_object is None:
        config_name_or_object = os.environ.get("FORUMAPP_CONFIG", "development")
    if isinstance(config_name_or_object, str):
        try:
            config_name_or_object = CONFIGS[config_name_or_object]
        except KeyError:
            names = ", ".join(CONFIGS)
            raise RuntimeError(
                f"Unknown configuration {config_name_or_object!r}; use one of: {names}"
            ) from None
    app.config.from_object(config_name_or_object)
    apply_environment = getattr(config_name_or_object, "apply_environment", None)
    if apply_environment is not None:
        apply_environment(app.config)
    app.config.setdefault("ENV_NAME", getattr(BaseConfig, "ENV_NAME", "custom"))
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = engine_options(
        app.config["SQLALCHEMY_DATABASE_URI"]
    ) | dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    require_strong_secret_key(app.config)


def _trust_proxies(app: Flask) -> None:
    """Behind ``TRUSTED_PROXIES`` proxies, take the client's address and scheme from the
    X-Forwarded-For / X-Forwarded-Proto entries they appended, so that rate limits count per
    real client rather than one bucket for the proxy. Without the setting those headers are
    ignored: a client could write anything in them."""
    proxies = int(app.config.get("TRUSTED_PROXIES") or 0)
    if proxies < 0:
        raise RuntimeError("TRUSTED_PROXIES is the number of proxies in front: 0 or more.")
    if proxies:
        # Flask documents wrapping ``wsgi_app`` in middleware; its stubs call it a method.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)  # type: ignore[method-assign]


def _add_security_headers(app: Flask) -> None:
    @app.after_request
    def _headers(response):
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if _is_personal(request):
            # A personal page or ticket must not stay in a shared computer's cache or a
            # proxy's: the next person at the kiosk would open it with the back button.
            response.headers["Cache-Control"] = "no-store"
        if app.config.get("SEND_STRICT_TRANSPORT_SECURITY"):
            response.headers.setdefault(
                "Strict-Transport-Security", "max-age=31536000; includeSubDomains"
            )
        return response


def _is_personal(request) -> bool:
    """Pages reached through a personal link (``/me/<token>…``, tickets included) or a
    registration confirmation link: they show one person's details."""
    return request.path.startswith("/me/") or "/register/confirm/" in request.path


_FORM_MIMETYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})


def _refuse_unstorable_form_text(app: Flask) -> None:
    """Control characters or broken Unicode in a submitted form are never typed by a person;
    refuse them up front (400) instead of failing deep inside a query on PostgreSQL."""

    @app.before_request
    def _check_form():
        # Only these bodies fill ``request.form``; asking a JSON request for it still costs.
        if request.method in SAFE_METHODS or request.mimetype not in _FORM_MIMETYPES:
            return None
        if not request.form:
            return None
        for values in request.form.listvalues():
            if any(not is_storable_text(value) for value in values):
                abort(400, "The form contained characters that cannot be stored.")
        return None
