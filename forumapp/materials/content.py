"""What an uploaded file really is, from its bytes: the types the program shares (PDF, slides,
documents, spreadsheets, images), checked by content, not by name, so an HTML page renamed
``.pdf`` is refused. And a safe name to offer it under."""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile

# Detected type → (the Content-Type served, the file name endings that may carry it).
KNOWN_TYPES: dict[str, tuple[str, tuple[str, ...]]] = {
    "pdf": ("application/pdf", (".pdf",)),
    "png": ("image/png", (".png",)),
    "jpeg": ("image/jpeg", (".jpg", ".jpeg")),
    "gif": ("image/gif", (".gif",)),
    "webp": ("image/webp", (".webp",)),
    "docx": (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        (".docx",),
    ),
    "pptx": (
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        (".pptx",),
    ),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (".xlsx",)),
    "odt": ("application/vnd.oasis.opendocument.text", (".odt",)),
    "odp": ("application/vnd.oasis.opendocument.presentation", (".odp",)),
    "ods": ("application/vnd.oasis.opendocument.spreadsheet", (".ods",)),
    "doc": ("application/msword", (".doc",)),
    "ppt": ("application/vnd.ms-powerpoint", (".ppt",)),
    "xls": ("application/vnd.ms-excel", (".xls",)),
}
NAMES = {
    "pdf": "a PDF",
    "png": "a PNG image",
    "jpeg": "a JPEG image",
    "gif": "a GIF image",
    "webp": "a WebP image",
    "docx": "a Word document",
    "pptx": "a PowerPoint presentation",
    "xlsx": "an Excel spreadsheet",
    "odt": "an OpenDocument text",
    "odp": "an OpenDocument presentation",
    "ods": "an OpenDocument spreadsheet",
    "doc": "a Word 97-2003 document",
    "ppt": "a PowerPoint 97-2003 presentation",
    "xls": "an Excel 97-2003 spreadsheet",
}
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ODF = {
    b"application/vnd.oasis.opendocument.text": "odt",
    b"application/vnd.oasis.opendocument.presentation": "odp",
    b"application/vnd.oasis.opendocument.spreadsheet": "ods",
}


def detect_type(data: bytes, filename: str) -> str | None:
    """The kind of file ``data`` is (a key of ``KNOWN_TYPES``), or None for anything else
    (HTML, scripts, SVG, archives, executables...)."""
    if data.startswith(b"%PDF-"):
        return "pdf"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    if data.startswith(b"PK\x03\x04"):
        return _zip_type(data)
    if data.startswith(_OLE):
        # Word, PowerPoint and Excel 97-2003 share one container: the name says which.
        ending = _ending(filename)
        return next((kind for kind in ("doc", "ppt", "xls") if ending == f".{kind}"), None)
    return None


def _zip_type(data: bytes) -> str | None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            if "mimetype" in names:
                return _ODF.get(archive.read("mimetype").strip())
            if "[Content_Types].xml" not in names:
                return None
            for folder, kind in (("word/", "docx"), ("ppt/", "pptx"), ("xl/", "xlsx")):
                if any(name.startswith(folder) for name in names):
                    return kind
    except (zipfile.BadZipFile, KeyError, ValueError):
        return None
    return None


def _ending(filename: str) -> str:
    match = re.search(r"(\.[A-Za-z0-9]{1,5})$", filename)
    return match.group(1).lower() if match else ""


def content_problem(data: bytes, filename: str, kind: str | None) -> str | None:
    """Why the file is refused, or None: its content must be a known type and its name's
    ending must agree."""
    if kind is None:
        return (
            "This file is not a PDF, an image, or a Word, PowerPoint, Excel or OpenDocument "
            "file (checked by its content, not its name)."
        )
    endings = KNOWN_TYPES[kind][1]
    if _ending(filename) not in endings:
        return f"This file is {NAMES[kind]}, but its name ends otherwise: name it “…{endings[0]}”."
    return None


_UNSAFE = re.compile(r'[\x00-\x1f\x7f"*/:<>?\\|]+')


def safe_filename(raw: str, kind: str) -> str:
    """A name to store and offer the file under: the last part of what the browser sent (no
    folders), in NFC, without control or reserved characters, at most 120 characters, with an
    ending that fits its type."""
    name = unicodedata.normalize("NFC", raw.replace("\\", "/").rsplit("/", 1)[-1])
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C")  # controls, bidi
    name = _UNSAFE.sub("_", name).strip(" .") or "material"
    endings = KNOWN_TYPES[kind][1]
    stem = name[: -len(_ending(name))] if _ending(name) in endings else name
    return stem[: 120 - len(endings[0])].rstrip(" .") + endings[0]
