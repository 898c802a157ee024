"""Attachments (issue 15): checked by content, not by name; size-limited; plain file
names only; listed and downloaded with the order's visibility, never inline."""
from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(64)
PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + bytes(64)
LIMIT = 5 * 1024 * 1024  # data/people.json attachments.max_bytes


def _upload(client, number: str, as_: str, name: str, content: bytes, expect: int = 201,
            **form) -> dict:
    response = client.post(f"/api/v1/work-orders/{number}/attachments", as_,
                           data={"file": (io.BytesIO(content), name), **form},
                           content_type="multipart/form-data")
    assert response.status_code == expect, response.get_json()
    assert expect == 201 or response.headers["Content-Type"] == "application/problem+json"
    return response.get_json()


def _listed(client, number: str, as_: str = "manager") -> list[dict]:
    response = client.get(f"/api/v1/work-orders/{number}/attachments", as_)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def _stored_files(app) -> list[Path]:
    return [path for path in Path(app.config["ATTACHMENTS_DIR"]).rglob("*") if path.is_file()]


def test_an_upload_is_listed_and_downloaded_as_a_file_with_the_orders_visibility(
        client, api_clock):
    order = client.submit()
    number = order["number"]
    stage = order["open_stages"][0]["task_id"]
    shot = _upload(client, number, "crm", "屏幕截图.png", PNG)
    api_clock.advance(timedelta(minutes=1))
    bill = _upload(client, number, "front_desk", "bill.pdf", PDF, task_id=stage,
                   description="March bill")
    assert (shot["content_type"], shot["size"], shot["uploaded_by"]) == ("image/png",
                                                                         len(PNG), "crm")
    assert (bill["task_id"], bill["department"], bill["description"]) == (
        stage, "front_desk", "March bill")
    for who in ("crm", "front_desk", "manager"):
        assert [a["id"] for a in _listed(client, number, who)] == [shot["id"], bill["id"]]
    response = client.get(f"/api/v1/work-orders/{number}/attachments/{shot['id']}", "crm")
    assert response.status_code == 200 and response.data == PNG
    assert response.headers["Content-Type"] == "image/png"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert "filename*=UTF-8''%E5%B1%8F" in response.headers["Content-Disposition"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    # Those who may not see the order see no attachment either (as if there were none).
    for who in ("hotline", "billing"):
        assert client.get(f"/api/v1/work-orders/{number}/attachments", who).status_code == 404
        assert client.get(f"/api/v1/work-orders/{number}/attachments/{shot['id']}",
                          who).status_code == 404
        _upload(client, number, who, "x.png", PNG, expect=404)
    other = client.submit(external_reference="OTHER")["number"]
    assert client.get(f"/api/v1/work-orders/{other}/attachments/{shot['id']}",
                      "manager").status_code == 404
    assert [e["type"] for e in client.order(number)["timeline"]].count("attachment_added") == 2


def test_a_disguised_executable_or_page_is_refused_and_nothing_is_stored(app, client):
    number = client.submit()["number"]
    before = _stored_files(app)
    refused = _upload(client, number, "crm", "invoice.pdf", EXE, expect=415)
    assert "application/x-msdownload" in refused["detail"]
    page = b"<!DOCTYPE html><html><script>alert(1)</script></html>"
    assert "text/html" in _upload(client, number, "crm", "photo.png", page,
                                  expect=415)["detail"]
    _upload(client, number, "crm", "notes.txt", b"\x00\x01binary", expect=415)
    assert _listed(client, number) == []
    assert _stored_files(app) == before
    # Plain text is text, whatever its name.
    assert _upload(client, number, "crm", "notes.pdf", "来电记录".encode())[
        "content_type"] == "text/plain"


def test_an_oversize_file_is_refused(app, client):
    number = client.submit()["number"]
    before = _stored_files(app)
    big = PDF + bytes(LIMIT - len(PDF) + 1)
    assert "at most" in _upload(client, number, "crm", "big.pdf", big, expect=413)["detail"]
    _upload(client, number, "crm", "huge.pdf", big + bytes(LIMIT), expect=413)
    assert _listed(client, number) == [] and _stored_files(app) == before
    assert _upload(client, number, "crm", "fits.pdf", big[:LIMIT])["size"] == LIMIT


def test_path_traversal_and_bad_names_are_refused(app, client):
    number = client.submit()["number"]
    for name in ("../../etc/passwd", "..\\..\\boot.ini", "/etc/passwd", "a/b.png", "..",
                 "x\x01.png"):
        refused = _upload(client, number, "crm", name, PNG, expect=422)
        assert [e["field"] for e in refused["errors"]] == ["body.file"], name
    refused = _upload(client, number, "crm", "ok.png", PNG, expect=422,
                      task_id="00000000-0000-0000-0000-000000000000")
    assert [e["field"] for e in refused["errors"]] == ["body.task_id"]
    _upload(client, number, "crm", "ok.png", PNG, expect=400, description="a\x00b")
    assert _listed(client, number) == []
    stored = _upload(client, number, "crm", "..hidden.png", PNG, expect=422)
    assert stored["errors"]
    # What is kept on disk is named by us, inside the attachments folder.
    before = set(_stored_files(app))
    _upload(client, number, "crm", "receipt.png", PNG)
    [path] = set(_stored_files(app)) - before
    assert path.read_bytes() == PNG and "receipt" not in str(path)
