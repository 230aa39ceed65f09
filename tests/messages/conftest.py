"""The real in-process SMTP server, for the messages feature's tests too."""

from ..mail.conftest import mail_settings, smtp_server  # noqa: F401  (fixtures)
