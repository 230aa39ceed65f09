"""The organizers' forms for credit types and certificate settings."""

from __future__ import annotations

from flask_wtf.file import FileField
from wtforms import BooleanField, SelectField, StringField

from ..core.forms import AppForm, IntegerField, Length
from .models import CREDIT_NAME_MAX, Rounding


class CreditTypeForm(AppForm):
    name = StringField("Name", validators=[Length(max=CREDIT_NAME_MAX)])
    accrediting_body = StringField("Accrediting body", validators=[Length(max=200)])
    provider_number = StringField("Provider or approval number", validators=[Length(max=100)])
    minutes_per_unit = IntegerField("Minutes in one credit unit", default=60)
    unit_name = StringField("Unit name", default="hours", validators=[Length(max=40)])
    rounding = SelectField(
        "Rounding", choices=[(rule.value, rule.label) for rule in Rounding],
        default=Rounding.DOWN_QUARTER_HOUR.value,
    )  # fmt: skip
    requires_exit = BooleanField(
        "No exit, no credit (time after an entry without an exit scan counts for nothing)"
    )


class CertificateSettingsForm(AppForm):
    sponsor = StringField("Sponsor", validators=[Length(max=300)])
    signer_name = StringField("Signed by", validators=[Length(max=200)])
    signer_title = StringField("Signer's title", validators=[Length(max=200)])
    signature = FileField("Signature image (PNG or JPEG, at most 1 MB)")
    remove_signature = BooleanField("Remove the signature image")
    require_feedback = BooleanField("Require the feedback form before certificates are given")
    retention_years = IntegerField(
        "Keep credit records after a person's erasure for (years; 0: erase them too)", default=5
    )
