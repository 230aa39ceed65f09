"""Where uploaded material files live: a folder under ``instance/`` (one app server), or an
S3-compatible bucket (``MATERIALS_STORAGE_URL=s3://bucket/prefix``) that several app servers
share. Files are stored under random keys, never under names people chose."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Protocol
from urllib.parse import urlparse

from flask import Flask, current_app

_KEY_CHARS = set("0123456789abcdef")


def new_storage_key() -> str:
    """A fresh, unguessable key for a stored file."""
    return secrets.token_hex(16)


def _checked(key: str) -> str:
    # Keys are ours (hex); anything else never reaches a path or a bucket.
    if len(key) != 32 or not set(key) <= _KEY_CHARS:
        raise KeyError(key)
    return key


class MaterialStorage(Protocol):
    def put(self, key: str, data: bytes, content_type: str) -> None: ...
    def get(self, key: str) -> bytes: ...
    def delete(self, key: str) -> None: ...


class FolderStorage:
    """Files in a folder on this server's disk."""

    def __init__(self, root: Path):
        self.root = root

    def put(self, key: str, data: bytes, content_type: str) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        path = self.root / _checked(key)
        partial = path.with_suffix(".part")
        partial.write_bytes(data)
        partial.replace(path)  # never a half-written file under the real name

    def get(self, key: str) -> bytes:
        try:
            return (self.root / _checked(key)).read_bytes()
        except FileNotFoundError:
            raise KeyError(key) from None

    def delete(self, key: str) -> None:
        (self.root / _checked(key)).unlink(missing_ok=True)


class BucketStorage:
    """Objects in an S3-compatible bucket, through boto3. ``endpoint_url`` for services other
    than AWS (MinIO, Ceph, a test server); credentials come from boto3's usual places."""

    def __init__(self, bucket: str, prefix: str = "", endpoint_url: str | None = None):
        import boto3

        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.client = boto3.client("s3", endpoint_url=endpoint_url)

    def _name(self, key: str) -> str:
        return f"{self.prefix}/{_checked(key)}" if self.prefix else _checked(key)

    def put(self, key: str, data: bytes, content_type: str) -> None:
        self.client.put_object(
            Bucket=self.bucket, Key=self._name(key), Body=data, ContentType=content_type
        )

    def get(self, key: str) -> bytes:
        try:
            found = self.client.get_object(Bucket=self.bucket, Key=self._name(key))
        except self.client.exceptions.NoSuchKey:
            raise KeyError(key) from None
        return found["Body"].read()

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self._name(key))


def storage_from_settings(url: str | None, folder: Path, endpoint_url: str | None = None):
    """The storage ``MATERIALS_STORAGE_URL`` names: ``s3://bucket/prefix``, else the folder."""
    if not url:
        return FolderStorage(folder)
    parsed = urlparse(url)
    if parsed.scheme != "s3" or not parsed.netloc:
        raise ValueError("MATERIALS_STORAGE_URL must look like s3://bucket/prefix")
    return BucketStorage(parsed.netloc, parsed.path, endpoint_url)


def init_storage(app: Flask) -> None:
    """Make the app's material storage once, from its settings."""
    app.extensions["materials_storage"] = storage_from_settings(
        app.config.get("MATERIALS_STORAGE_URL"),
        Path(app.config["MATERIALS_DIR"]),
        app.config.get("MATERIALS_S3_ENDPOINT_URL"),
    )


def material_storage() -> MaterialStorage:
    """The current app's material storage."""
    return current_app.extensions["materials_storage"]
