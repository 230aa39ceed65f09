"""The real in-process SMTP server of the mail tests, for delivering group messages."""

from ..mail.conftest import mail_settings, smtp_server  # noqa: F401  (fixtures)
