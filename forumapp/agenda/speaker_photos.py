"""Speaker photos: an upload made safe (checked, upright, small, without metadata) and stored
under a random name; the old file is discarded only after the change has committed."""

from __future__ import annotations

import io
import os
import re
import secrets
import tempfile
import warnings
from pathlib import Path
from typing import BinaryIO

from flask_babel import gettext as _
from PIL import Image, ImageOps

from ..extensions import DbSession
from .errors import SpeakerError
from .models import Speaker

PHOTO_FORMATS = ("JPEG", "PNG", "WEBP", "GIF")
PHOTO_BOX = (600, 600)
# A small file can still unpack into a huge bitmap (a decompression bomb); refuse those before
# decoding. 40 megapixels is more than any phone or camera writes by default.
MAX_PHOTO_PIXELS = 40_000_000
_PHOTO_NAME = re.compile(r"^[0-9a-f]{32}\.jpg$")


def photo_jpeg(upload: BinaryIO) -> bytes:
    """The uploaded image, upright, fitted within 600×600, without metadata, as JPEG bytes.

    Raises ``SpeakerError`` (field ``photo``) when the file is not a JPEG, PNG, WebP or GIF
    image or is too large to unpack safely.
    """
    # Speakers upload from their own page too, so the messages follow the page's language.
    not_an_image = SpeakerError(
        _("That file is not a photo we can use. Upload a JPEG, PNG, WebP or GIF image."), "photo"
    )
    too_many_pixels = SpeakerError(
        _("That image has too many pixels to process. Use a photo under 40 megapixels."), "photo"
    )
    with warnings.catch_warnings():
        # Pillow only warns between its own limit and twice that; make the warning an error.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            upload.seek(0)
            with Image.open(upload, formats=PHOTO_FORMATS) as probe:
                # The size comes from the header, before anything is unpacked.
                if probe.width * probe.height > MAX_PHOTO_PIXELS:
                    raise too_many_pixels
                probe.verify()
            upload.seek(0)  # verify() leaves the image unusable, so open it again
            with Image.open(upload, formats=PHOTO_FORMATS) as image:
                image.draft("RGB", (PHOTO_BOX[0] * 2, PHOTO_BOX[1] * 2))  # JPEG: decode small
                image.load()
                picture = _flattened(ImageOps.exif_transpose(image))
        except SpeakerError:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise too_many_pixels from None
        except (OSError, SyntaxError, ValueError, EOFError):
            # Unknown formats, truncated and corrupt files all land here.
            raise not_an_image from None
    picture.thumbnail(PHOTO_BOX, Image.Resampling.LANCZOS)
    out = io.BytesIO()
    # A new RGB image saved without exif or icc_profile carries no metadata (GPS, camera…).
    picture.save(out, format="JPEG", quality=85, optimize=True)
    return out.getvalue()


def _flattened(image: Image.Image) -> Image.Image:
    """An RGB copy, transparent areas on white."""
    if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB")


def store_photo_file(jpeg: bytes, photo_dir: Path) -> str:
    """Store ``jpeg`` under a new random name in ``photo_dir``; returns the name."""
    photo_dir = Path(photo_dir)
    photo_dir.mkdir(parents=True, exist_ok=True)
    name = f"{secrets.token_hex(16)}.jpg"
    # Written to a temporary file first so a half-written photo is never served.
    handle, temporary = tempfile.mkstemp(dir=photo_dir, suffix=".part")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(jpeg)
        os.replace(temporary, photo_dir / name)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return name


def save_photo(session: DbSession, speaker: Speaker, jpeg: bytes, photo_dir: Path) -> str | None:
    """Store ``jpeg`` under a new random name and give it to the speaker.

    Returns the previous photo's file name so the caller can discard it after committing.
    """
    name = store_photo_file(jpeg, photo_dir)
    previous = speaker.photo_filename
    speaker.photo_filename = name
    session.flush()
    return previous


def remove_photo(session: DbSession, speaker: Speaker) -> str | None:
    """Take the speaker's photo away; returns its file name to discard after committing."""
    previous = speaker.photo_filename
    speaker.photo_filename = None
    session.flush()
    return previous


def discard_photo_file(photo_dir: Path, name: str | None) -> None:
    """Delete a stored photo file; names that were never generated here are left alone."""
    if name and _PHOTO_NAME.match(name):
        (Path(photo_dir) / name).unlink(missing_ok=True)
