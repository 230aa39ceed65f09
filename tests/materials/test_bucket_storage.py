"""Materials in an S3-compatible bucket (several app servers share it): uploaded, served and
removed through the same views, against moto's standalone S3 server started here."""

from __future__ import annotations

import io
import socket

import boto3
import pytest
from moto.server import ThreadedMotoServer

from forumapp.extensions import db
from forumapp.materials.models import Material
from forumapp.materials.storage import BucketStorage, storage_from_settings

from ..conftest import csrf_token
from .conftest import pdf_bytes


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def s3_endpoint():
    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def bucket(app, s3_endpoint, monkeypatch):
    for name, value in (
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
        ("AWS_DEFAULT_REGION", "us-east-1"),
    ):
        monkeypatch.setenv(name, value)
    boto3.client("s3", endpoint_url=s3_endpoint).create_bucket(Bucket="forum-materials")
    storage = storage_from_settings("s3://forum-materials/program", None, s3_endpoint)
    assert isinstance(storage, BucketStorage)
    before = app.extensions["materials_storage"]
    app.extensions["materials_storage"] = storage
    yield storage
    app.extensions["materials_storage"] = before


def test_a_file_goes_to_the_bucket_is_served_from_it_and_removed_from_it(
    app, client, signed_in, place, bucket, s3_endpoint
):
    signed_in("organizer")
    path = f"/staff/forums/{place.forum_id}/materials"
    client.post(
        path,
        data={
            "target": str(place.public_item_id),
            "title": "Slides",
            "visibility": "public",
            "url": "",
            "file": (io.BytesIO(pdf_bytes("In the bucket")), "slides.pdf"),
            "csrf_token": csrf_token(client, path),
        },
        content_type="multipart/form-data",
    )
    with app.app_context():
        material = db.session.query(Material).one()
        material_id, name, key = material.id, material.filename, material.storage_key

    objects = boto3.client("s3", endpoint_url=s3_endpoint).list_objects_v2(Bucket="forum-materials")
    assert [entry["Key"] for entry in objects["Contents"]] == [f"program/{key}"]
    served = app.test_client().get(f"/materials/{material_id}/{name}")
    assert served.status_code == 200 and served.data == bucket.get(key)

    client.post(
        f"/staff/materials/{material_id}/remove", data={"csrf_token": csrf_token(client, path)}
    )
    objects = boto3.client("s3", endpoint_url=s3_endpoint).list_objects_v2(Bucket="forum-materials")
    assert objects.get("KeyCount") == 0
