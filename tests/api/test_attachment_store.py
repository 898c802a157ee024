"""Attachments in an S3-compatible store (issue 15), against a local S3-compatible
server (moto's), and the filesystem store as the default."""
from __future__ import annotations

import io
from pathlib import Path

import boto3
import pytest
from moto.server import ThreadedMotoServer

from engine.people.attachments import FileStore, S3Store, store_for
from tests.api.conftest import free_port
from tests.api.test_attachments import EXE, PNG

BUCKET = "complaint-attachments"


@pytest.fixture
def s3_endpoint(monkeypatch):
    """A local S3-compatible server with an empty bucket; its URL."""
    for name, value in {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
                        "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(name, value)
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    url = f"http://127.0.0.1:{port}"
    boto3.client("s3", endpoint_url=url).create_bucket(Bucket=BUCKET)
    yield url
    server.stop()


def _keys(url: str) -> list[str]:
    listed = boto3.client("s3", endpoint_url=url).list_objects_v2(Bucket=BUCKET)
    return [item["Key"] for item in listed.get("Contents", [])]


def test_the_configuration_chooses_the_store(tmp_path, s3_endpoint):
    store = store_for({"ATTACHMENTS_S3_BUCKET": BUCKET,
                       "ATTACHMENTS_S3_ENDPOINT_URL": s3_endpoint,
                       "ATTACHMENTS_S3_PREFIX": "orders/"}, str(tmp_path))
    assert isinstance(store, S3Store)
    store.put("abc123", PNG)
    assert _keys(s3_endpoint) == ["orders/abc123"] and store.get("abc123") == PNG
    store.delete("abc123")
    assert _keys(s3_endpoint) == []
    with pytest.raises(ValueError):
        store.put("../escape", PNG)
    folder = store_for({"ATTACHMENTS_DIR": str(tmp_path / "files")}, "/nowhere")
    assert isinstance(folder, FileStore) and folder.root == tmp_path / "files"
    default = store_for({}, str(tmp_path))
    assert isinstance(default, FileStore) and default.root == tmp_path / "attachments"


def test_uploads_go_to_the_bucket_and_come_back_over_http(app, client, s3_endpoint):
    attachments = app.extensions["attachments"]
    attachments.store = S3Store(boto3.client("s3", endpoint_url=s3_endpoint), BUCKET)
    number = client.submit()["number"]
    refused = client.post(f"/api/v1/work-orders/{number}/attachments", "crm",
                          data={"file": (io.BytesIO(EXE), "bill.pdf")},
                          content_type="multipart/form-data")
    assert refused.status_code == 415 and _keys(s3_endpoint) == []
    files_before = list(Path(app.config["ATTACHMENTS_DIR"]).rglob("*"))
    response = client.post(f"/api/v1/work-orders/{number}/attachments", "crm",
                           data={"file": (io.BytesIO(PNG), "shot.png")},
                           content_type="multipart/form-data")
    assert response.status_code == 201, response.get_json()
    attachment = response.get_json()
    assert len(_keys(s3_endpoint)) == 1
    assert list(Path(app.config["ATTACHMENTS_DIR"]).rglob("*")) == files_before
    download = client.get(f"/api/v1/work-orders/{number}/attachments/{attachment['id']}",
                          "front_desk")
    assert download.status_code == 200 and download.data == PNG
    assert download.headers["Content-Disposition"].startswith("attachment;")
