"""Addresses typed wrong are explained in words of the catalog, whatever email-validator says
in English; a right one comes back in its normal form."""

from __future__ import annotations

import pytest

from forumapp.core.emails import InvalidEmail, normalise_email


def test_a_right_address_comes_back_trimmed_and_in_lower_case():
    assert normalise_email("  Ana.Diaz@County.Example.org ") == "ana.diaz@county.example.org"


@pytest.mark.parametrize(
    ("typed", "explained"),
    [
        ("", "The address is empty."),
        ("ana.example.org", "An email address has an @ sign."),
        ("ana@@example.org", "An email address has only one @ sign."),
        ("ana diaz@example.org", "An email address has no spaces."),
        ("@example.org", "Something must come before the @ sign."),
        ("ana@", "Something must come after the @ sign."),
        ("ana@localhost", "After the @ sign comes a domain with a dot, as in example.org."),
        ("ana@.org", "It has characters or dots in places an email address cannot have them."),
        ("ana@office.local", "The part after the @ sign is kept for tests and private networks"),
        ("ana@" + "b" * 63 + "." + "c" * 63 + "." + "d" * 63 + "." + "e" * 63 + ".org",
         "The address is too long."),
    ],
)  # fmt: skip
def test_each_mistake_is_named(typed, explained):
    with pytest.raises(InvalidEmail) as refused:
        normalise_email(typed)
    assert str(refused.value).startswith(explained)
