"""Flask extensions, created once and bound to an app in ``create_app``."""

from typing import TYPE_CHECKING, Any, TypeAlias

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_mail import Mail
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase, Session, scoped_session

# Stable constraint names, so that Alembic can alter and drop them on SQLite and PostgreSQL alike.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)

if TYPE_CHECKING:
    # Type checkers cannot see the class Flask-SQLAlchemy builds at run time; ``Model`` is it
    # (a ``Base`` subclass with ``query`` and the table name rules), so models subclass this.
    Model = Base
else:
    Model = db.Model

# What services take as ``session``: the request's scoped session (``db.session``) or a plain
# ``Session`` (commands, tests, worker threads).
DbSession: TypeAlias = Session | scoped_session[Any]
migrate = Migrate()
mail = Mail()
csrf = CSRFProtect()
login_manager = LoginManager()
limiter = Limiter(key_func=get_remote_address, default_limits=[])
