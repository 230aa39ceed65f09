"""Configuration for each way forumapp runs: development, testing and production.

``create_app`` takes one of the names in ``CONFIGS`` or a config object/class.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent


def _instance_dir() -> Path:
    """The instance folder (SQLite file, speaker photos): ``FORUMAPP_INSTANCE_PATH`` if set;
    else ``instance/`` beside this file in a checkout (where pyproject.toml is), and
    ``instance/`` in the current directory when installed, never inside site-packages."""
    if os.environ.get("FORUMAPP_INSTANCE_PATH"):
        return Path(os.environ["FORUMAPP_INSTANCE_PATH"]).expanduser().absolute()
    if (BASE_DIR / "pyproject.toml").is_file():
        return BASE_DIR / "instance"
    return Path.cwd() / "instance"


INSTANCE_DIR = _instance_dir()

# Secrets that only ever appear in this repository; only development and testing accept them.
_KNOWN_DEV_SECRETS = {
    "",
    "dev",
    "change-me",
    "dev-secret-key-not-for-production",
    "testing-secret-key",
}
MIN_SECRET_KEY_LENGTH = 32
# The only configurations that may run with a published or short secret key.
WEAK_SECRET_KEY_ALLOWED = frozenset({"development", "testing"})


def normalise_database_url(url: str) -> str:
    """Return ``url`` with PostgreSQL URLs pointed at the psycopg 3 driver.

    Hosting platforms hand out ``postgres://`` or ``postgresql://`` URLs; SQLAlchemy
    would pick psycopg2 for those, which forumapp does not install.
    """
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def engine_options(database_url: str) -> dict:
    """SQLAlchemy engine options for the database at ``database_url``.

    A database server's connections are checked before each use (pre-ping), so one that the
    server or a network device dropped is replaced rather than failing a request; a SQLite
    file has no connection to lose, and the check would only cost every transaction a query.
    """
    return {"pool_pre_ping": not database_url.startswith("sqlite")}


def weak_secret_key(secret: str | None) -> bool:
    """True for a missing, short or published secret key: anyone could sign session cookies."""
    return not secret or secret in _KNOWN_DEV_SECRETS or len(secret) < MIN_SECRET_KEY_LENGTH


def require_strong_secret_key(config) -> None:
    """Refuse to run with a weak ``SECRET_KEY`` unless the configuration is development or
    testing: with a known key anyone can forge a signed-in admin's session cookie."""
    if config.get("ENV_NAME") in WEAK_SECRET_KEY_ALLOWED:
        return
    if weak_secret_key(config.get("SECRET_KEY")):
        raise RuntimeError(
            "Production needs a real SECRET_KEY: set the SECRET_KEY environment variable "
            f"to a random value of at least {MIN_SECRET_KEY_LENGTH} characters, e.g. "
            "`python -c 'import secrets; print(secrets.token_urlsafe(48))'` "
            "(or set FORUMAPP_CONFIG=development for local development only)."
        )


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


class BaseConfig:
    # werkzeug's default, memory-hard and slow on purpose; tests use a cheap one.
    PASSWORD_HASH_METHOD = "scrypt"
    SECRET_KEY = os.environ.get("SECRET_KEY", "dev-secret-key-not-for-production")
    SQLALCHEMY_DATABASE_URI = normalise_database_url(
        os.environ.get("DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'forumapp.sqlite'}")
    )
    # Empty: ``create_app`` fills in ``engine_options`` for the database chosen.
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    PROGRAM_TIME_ZONE = os.environ.get("PROGRAM_TIME_ZONE", "America/New_York")

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    WTF_CSRF_TIME_LIMIT = None  # a form left open over a long forum day still posts

    # How many proxies (nginx, a load balancer) stand in front of the app and append the
    # client to X-Forwarded-For / X-Forwarded-Proto. 0: those headers are ignored, since any
    # client can send them; the connection's address is the client's.
    TRUSTED_PROXIES = int(os.environ.get("TRUSTED_PROXIES", "0"))

    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_HEADERS_ENABLED = True
    # Sign-in attempts per client address, and per account from each address (so a stranger
    # guessing at an account from one address does not lock its owner out everywhere).
    LOGIN_RATE_LIMIT = os.environ.get("LOGIN_RATE_LIMIT", "5 per minute; 30 per hour")
    LOGIN_RATE_LIMIT_PER_ACCOUNT = os.environ.get(
        "LOGIN_RATE_LIMIT_PER_ACCOUNT", "10 per 15 minutes"
    )
    # Public JSON API writes (registration), per client address. Load tests raise it.
    RATELIMIT_PUBLIC_API = os.environ.get("RATELIMIT_PUBLIC_API", "30 per minute")
    # The public registration form, per client address.
    RATELIMIT_PUBLIC_FORMS = os.environ.get("RATELIMIT_PUBLIC_FORMS", "20 per minute")
    # "Send me my link" sends mail to whatever address is typed, so it is kept lower.
    RATELIMIT_SEND_LINK = os.environ.get("RATELIMIT_SEND_LINK", "10 per minute")
    # Every POST made through a personal link (feedback, topics, days, breakouts, roster,
    # ticket, calendar link, new link), per link: attendees at a venue share one address.
    RATELIMIT_PERSONAL_LINK = os.environ.get("RATELIMIT_PERSONAL_LINK", "30 per minute")
    # Group messages each organizer may write or schedule (the page and the API together).
    RATELIMIT_GROUP_MESSAGES = os.environ.get("RATELIMIT_GROUP_MESSAGES", "10 per hour; 30 per day")

    # Follow-up mail about teams' commitments: days after a forum's last day for the
    # confirmation and the reminder, days before the next forum's first day for the status
    # request.
    COMMITMENT_CONFIRMATION_DAYS = int(os.environ.get("COMMITMENT_CONFIRMATION_DAYS", "7"))
    COMMITMENT_REMINDER_DAYS = int(os.environ.get("COMMITMENT_REMINDER_DAYS", "28"))
    COMMITMENT_STATUS_REQUEST_DAYS_BEFORE = int(
        os.environ.get("COMMITMENT_STATUS_REQUEST_DAYS_BEFORE", "14")
    )

    MAIL_SERVER = os.environ.get("MAIL_SERVER", "localhost")
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "25"))
    MAIL_USE_TLS = _env_bool("MAIL_USE_TLS", False)
    MAIL_USE_SSL = _env_bool("MAIL_USE_SSL", False)
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD")
    MAIL_DEFAULT_SENDER = os.environ.get("MAIL_DEFAULT_SENDER", "forums@localhost")
    # Where the site footer tells people to write with questions; empty: the sender above.
    CONTACT_EMAIL = os.environ.get("CONTACT_EMAIL", "")
    MAIL_TIMEOUT = 10  # seconds for each SMTP socket operation
    # A message is retried after 1, 2, 4 ... minutes (at most an hour) until this many attempts.
    MAIL_MAX_ATTEMPTS = int(os.environ.get("MAIL_MAX_ATTEMPTS", "8"))
    # Development convenience: send right after a request that queued mail (no worker needed).
    MAIL_SEND_AFTER_REQUEST = _env_bool("MAIL_SEND_AFTER_REQUEST", False)
    # Emails anyone can trigger by typing an address (personal link, registration to confirm),
    # per address and hour: against flooding someone's inbox through the public forms.
    MAIL_REQUESTED_PER_HOUR = int(os.environ.get("MAIL_REQUESTED_PER_HOUR", "5"))

    # Calendar invitations have the person's calendar remind them this many hours before each
    # day or breakout (a VALARM); 0 sends invitations without one.
    CALENDAR_ALARM_BEFORE_HOURS = int(os.environ.get("CALENDAR_ALARM_BEFORE_HOURS", "24"))

    # A topic raised by this many teams is flagged for special attention at the next forum.
    TOPIC_FLAG_TEAMS = int(os.environ.get("TOPIC_FLAG_TEAMS", "2"))
    # At most this many topic suggestions per forum, team (or no team) and day through the API
    # and personal pages, against floods (a staff CSV import is not bounded).
    TOPIC_SUGGESTIONS_PER_TEAM_PER_DAY = int(
        os.environ.get("TOPIC_SUGGESTIONS_PER_TEAM_PER_DAY", "200")
    )

    # Where personal links in emails point; set it in production.
    PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "http://127.0.0.1:5000")

    # Uploads: larger requests get the friendly 413 page. Speaker photos are stored, resized and
    # renamed, in this folder.
    MAX_CONTENT_LENGTH = 10 * 1024 * 1024
    SPEAKER_PHOTO_DIR = Path(os.environ.get("SPEAKER_PHOTO_DIR", INSTANCE_DIR / "speaker_photos"))

    # Session materials: files up to this size, stored in this folder, or in an S3-compatible
    # bucket when MATERIALS_STORAGE_URL=s3://bucket/prefix (needed with several app servers;
    # MATERIALS_S3_ENDPOINT_URL for MinIO and the like, credentials as boto3 finds them).
    MATERIALS_MAX_BYTES = int(os.environ.get("MATERIALS_MAX_MB", "25")) * 1024 * 1024
    MATERIALS_DIR = Path(os.environ.get("MATERIALS_DIR", INSTANCE_DIR / "materials"))
    MATERIALS_STORAGE_URL = os.environ.get("MATERIALS_STORAGE_URL", "")
    MATERIALS_S3_ENDPOINT_URL = os.environ.get("MATERIALS_S3_ENDPOINT_URL") or None

    # A bio or photo a speaker changes on their own page waits for staff to publish it; set
    # to false to publish speakers' own changes at once.
    SPEAKER_PROFILE_REVIEW = _env_bool("SPEAKER_PROFILE_REVIEW", True)
    # Speakers with a session that has no material yet are reminded to upload their slides
    # this many days before the forum's first day (each forum can change it; 0: never).
    SPEAKER_SLIDES_REMINDER_DAYS = int(os.environ.get("SPEAKER_SLIDES_REMINDER_DAYS", "7"))


class DevelopmentConfig(BaseConfig):
    DEBUG = False  # `flask run --debug` turns the debugger on when wanted
    ENV_NAME = "development"
    MAIL_SEND_AFTER_REQUEST = _env_bool("MAIL_SEND_AFTER_REQUEST", True)


class TestingConfig(BaseConfig):
    ENV_NAME = "testing"
    TESTING = True
    # Uploaded materials of a test run go to a folder of its own, never the checkout's.
    MATERIALS_DIR = Path(tempfile.mkdtemp(prefix="forumapp-test-materials-"))
    # Each scrypt hash costs tens of milliseconds and the suite signs in thousands of times.
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"
    SECRET_KEY = "testing-secret-key"
    SQLALCHEMY_DATABASE_URI = normalise_database_url(
        os.environ.get("TEST_DATABASE_URL", "sqlite:///:memory:")
    )
    SERVER_NAME = None
    MAIL_SERVER = "127.0.0.1"
    MAIL_PORT = 8025
    MAIL_DEFAULT_SENDER = "forums@test.example.org"


class ProductionConfig(BaseConfig):
    ENV_NAME = "production"
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    PREFERRED_URL_SCHEME = "https"
    SEND_STRICT_TRANSPORT_SECURITY = True

    @classmethod
    def apply_environment(cls, config: dict) -> None:
        """Read secrets and the database from the environment as it is when the app starts
        (``create_app`` then refuses a missing, short or development secret key)."""
        config["SECRET_KEY"] = os.environ.get("SECRET_KEY", "")
        if os.environ.get("DATABASE_URL"):
            config["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(os.environ["DATABASE_URL"])


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}
