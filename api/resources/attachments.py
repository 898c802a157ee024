"""Attachments of a work order or one of its stages, under /work-orders/{number}/:
uploaded by whoever may see the order, checked by content, listed and downloaded with
the order's visibility rules, and always downloaded as a file, never shown inline."""
from __future__ import annotations

from urllib.parse import quote

from flask import Response, abort, current_app, g, request
from flask.views import MethodView
from flask_smorest import Blueprint

from engine.people.attachments import (
    Attachments,
    AttachmentTooLarge,
    AttachmentTypeRefused,
    Upload,
)
from engine.people.sniffing import KNOWN_TYPES

from ..auth import current_principal, requires
from ..schemas.work_orders import AttachmentSchema
from .common import own_department, visible_work_order

# Registered at /api/v1/work-orders (api/resources/__init__.py), beside work_orders.py.
blp = Blueprint("attachments", __name__, description="Attachments of work orders")
# What a multipart body adds to the file itself, at most, before the size check.
MULTIPART_OVERHEAD = 64 * 1024


def attachments() -> Attachments:
    return current_app.extensions["attachments"]


@blp.route("/<string:number>/attachments")
class OrderAttachments(MethodView):
    @requires("integrator", "department", "manager")
    @blp.response(200, AttachmentSchema(many=True))
    def get(self, number):
        """The order's attachments (their descriptions; download each by its id)"""
        return attachments().of_order(visible_work_order(number).number)

    @requires("integrator", "department")
    @blp.response(201, AttachmentSchema)
    @blp.alt_response(413, description="Larger than data/people.json allows")
    @blp.alt_response(415, description="A type data/people.json does not allow, as the "
                                       "content shows (whatever the name says)")
    @blp.doc(requestBody={"required": True, "content": {"multipart/form-data": {"schema": {
        "type": "object",
        "properties": {"file": {"type": "string", "format": "binary"},
                       "task_id": {"type": "string", "maxLength": 36,
                                   "description": "A stage of the order"},
                       "description": {"type": "string", "maxLength": 2000}},
        "required": ["file"],
    }}}})
    def post(self, number):
        """Attach a file (a bill, a screenshot, a recording's metadata) to the order or
        to one of its stages (task_id)"""
        g.form_data_field = "body"
        order = visible_work_order(number)
        request.max_content_length = attachments().max_bytes + MULTIPART_OVERHEAD
        upload = request.files.get("file")
        if upload is None:
            abort(400, description="send the file as multipart/form-data field 'file'")
        task_id = request.form.get("task_id") or None
        description = request.form.get("description") or None
        if (task_id and len(task_id) > 36) or (description and len(description) > 2000):
            abort(400, description="task_id is at most 36 characters, description 2000")
        if any("\x00" in text or any("\ud800" <= c <= "\udfff" for c in text)
               for text in (task_id or "", description or "")):
            abort(400, description="task_id and description hold text only (no NUL)")
        try:
            return attachments().add(order.number, Upload(
                upload.filename or "", upload.read(attachments().max_bytes + 1), task_id,
                description), current_principal().name, own_department()), 201
        except AttachmentTooLarge as err:
            abort(413, description=str(err))
        except AttachmentTypeRefused as err:
            abort(415, description=str(err))


@blp.route("/<string:number>/attachments/<string:attachment_id>")
class OrderAttachment(MethodView):
    @requires("integrator", "department", "manager")
    @blp.response(200, {"type": "string", "format": "binary"},
                  content_type="application/octet-stream")
    @blp.doc(responses={"200": {"description": "The file, as an attachment", "content": {
        content_type: {"schema": {"type": "string", "format": "binary"}}
        for content_type in (*KNOWN_TYPES, "application/octet-stream")}}})
    def get(self, number, attachment_id):
        """Download an attachment: always as a file (Content-Disposition: attachment,
        nosniff), never shown inline"""
        order = visible_work_order(number)
        row, content = attachments().read(order.number, attachment_id)
        return Response(content, mimetype=row.content_type, headers=download_headers(
            row.file_name))


def download_headers(file_name: str) -> dict[str, str]:
    """Headers that make a browser save the file, never render or run it."""
    fallback = "".join(c if (c.isascii() and c.isalnum()) or c in "._-" else "_"
                       for c in file_name) or "attachment"
    return {
        "Content-Disposition": f"attachment; filename=\"{fallback}\"; "
                               f"filename*=UTF-8''{quote(file_name, safe='')}",
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "default-src 'none'; sandbox",
        "Cache-Control": "private, no-store",
    }
