"""Attachments of an order or a stage (bills, screenshots, recordings' metadata): size
and type checked by content (engine/people/sniffing.py), the uploader's file name kept
only as a label, the bytes in a store under a key of ours (the filesystem under the
instance folder by default)."""
from __future__ import annotations

import hashlib
import os
import tempfile
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import select

from engine.definitions.forms import FieldError, FormValidationError
from engine.errors import EngineError, NotFound
from engine.people.models import Attachment
from engine.people.sniffing import sniff
from engine.process_engine import ProcessEngine
from engine.runtime.step import append_timeline
from engine.store.models import HumanTask
from engine.workorders.errors import WorkOrderNotFound
from engine.workorders.models import WorkOrder

MAX_NAME = 255


class AttachmentTooLarge(EngineError):
    def __init__(self, size: int, limit: int) -> None:
        self.limit = limit
        super().__init__(f"the file has {size} bytes; an attachment has at most {limit}")


class AttachmentTypeRefused(EngineError):
    def __init__(self, found: str, allowed: tuple[str, ...]) -> None:
        super().__init__(f"the file's content is {found} (whatever its name says); an "
                         f"attachment is one of {', '.join(allowed)}")


class AttachmentNotFound(NotFound):
    def __init__(self, attachment_id: str) -> None:
        super().__init__(f"no attachment {attachment_id!r}")


class Store(Protocol):
    def put(self, key: str, content: bytes) -> None: ...
    def get(self, key: str) -> bytes: ...
    def delete(self, key: str) -> None: ...


class FileStore:
    """Files under `root`, named by our key (hex), never by what an uploader sent."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        if not key.isalnum():
            raise ValueError(f"bad storage key {key!r}")
        return self.root / key[:2] / key

    def put(self, key: str, content: bytes) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
        try:
            with os.fdopen(handle, "wb") as file:
                file.write(content)
            os.replace(temporary, path)  # whole or not at all
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def get(self, key: str) -> bytes:
        return self._path(key).read_bytes()

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)


class S3Store:
    """Objects in an S3-compatible bucket (AWS S3, MinIO, ...), under `prefix` + our key.
    `client` is a boto3 S3 client (credentials from the usual AWS settings)."""

    def __init__(self, client: Any, bucket: str, prefix: str = "") -> None:
        self.client = client
        self.bucket = bucket
        self.prefix = prefix

    def _key(self, key: str) -> str:
        if not key.isalnum():
            raise ValueError(f"bad storage key {key!r}")
        return f"{self.prefix}{key}"

    def put(self, key: str, content: bytes) -> None:
        self.client.put_object(Bucket=self.bucket, Key=self._key(key), Body=content,
                               ContentType="application/octet-stream")

    def get(self, key: str) -> bytes:
        return self.client.get_object(Bucket=self.bucket, Key=self._key(key))["Body"].read()

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self._key(key))


def store_for(config: Mapping[str, Any], instance_path: str) -> Store:
    """The store the configuration names: an S3 bucket (ATTACHMENTS_S3_BUCKET, with
    ATTACHMENTS_S3_ENDPOINT_URL for a store other than AWS and ATTACHMENTS_S3_PREFIX),
    else a folder (ATTACHMENTS_DIR, by default the instance folder's attachments/)."""
    bucket = config.get("ATTACHMENTS_S3_BUCKET")
    if bucket:
        import boto3  # only where S3 is configured (pip install '.[s3]')

        client = boto3.client("s3", endpoint_url=config.get("ATTACHMENTS_S3_ENDPOINT_URL")
                              or None)
        return S3Store(client, bucket, config.get("ATTACHMENTS_S3_PREFIX") or "")
    return FileStore(Path(config.get("ATTACHMENTS_DIR") or Path(instance_path) / "attachments"))


@dataclass(frozen=True)
class Upload:
    file_name: str
    content: bytes
    task_id: str | None = None
    description: str | None = None


class Attachments:
    def __init__(self, engine: ProcessEngine, store: Store, max_bytes: int,
                 types: tuple[str, ...]) -> None:
        self.engine = engine
        self.store = store
        self.max_bytes = max_bytes
        self.types = types

    def add(self, number: str, upload: Upload, author: str,
            department: str | None) -> Attachment:
        """Check the upload (name, size, content type, stage), store it, record it."""
        if errors := name_problems(upload.file_name):
            raise FormValidationError("attachment", errors)
        if len(upload.content) > self.max_bytes:
            raise AttachmentTooLarge(len(upload.content), self.max_bytes)
        found = sniff(upload.content)
        if found not in self.types:
            raise AttachmentTypeRefused(found, self.types)
        key = uuid.uuid4().hex
        self.store.put(key, upload.content)
        try:
            return self._record(number, upload, found, key, author, department)
        except BaseException:
            self.store.delete(key)  # the row did not land: no orphan file
            raise

    def _record(self, number: str, upload: Upload, content_type: str, key: str,
                author: str, department: str | None) -> Attachment:
        now = self.engine.clock.now()
        with self.engine.transaction() as session:
            order = session.get(WorkOrder, number)
            if order is None:
                raise WorkOrderNotFound(number)
            if upload.task_id is not None and session.scalar(select(HumanTask.id).where(
                    HumanTask.id == upload.task_id,
                    HumanTask.instance_id == order.instance_id)) is None:
                raise FormValidationError("attachment", [FieldError(
                    "task_id", f"{upload.task_id!r} is no stage of work order {number}")])
            row = Attachment(id=str(uuid.uuid4()), number=number, task_id=upload.task_id,
                             file_name=upload.file_name, content_type=content_type,
                             size=len(upload.content),
                             sha256=hashlib.sha256(upload.content).hexdigest(),
                             description=upload.description, storage_key=key,
                             uploaded_by=author, department=department, uploaded_at=now)
            session.add(row)
            append_timeline(session, order.instance_id, "attachment_added", now, actor=author,
                            department=department, detail={
                                "attachment": row.id, "file_name": row.file_name,
                                "content_type": content_type, "size": row.size,
                                "task_id": upload.task_id})
            return row

    def of_order(self, number: str) -> list[Attachment]:
        with self.engine.reading() as session:
            return list(session.scalars(select(Attachment).where(Attachment.number == number)
                                        .order_by(Attachment.uploaded_at, Attachment.id)))

    def read(self, number: str, attachment_id: str) -> tuple[Attachment, bytes]:
        with self.engine.reading() as session:
            row = session.get(Attachment, attachment_id) if len(attachment_id) <= 36 else None
        if row is None or row.number != number:
            raise AttachmentNotFound(attachment_id)
        return row, self.store.get(row.storage_key)


def name_problems(name: str) -> list[FieldError]:
    """A plain file name: no folders, no '..', no control characters."""
    if not name or len(name) > MAX_NAME:
        return [FieldError("file", f"needs a file name of 1 to {MAX_NAME} characters")]
    if "/" in name or "\\" in name or name in (".", "..") or name.startswith(".."):
        return [FieldError("file", f"{name!r} is not a plain file name (no folders, "
                                   "'/', '\\\\' or '..')")]
    if any(ord(character) < 32 or ord(character) == 127
           or "\ud800" <= character <= "\udfff" for character in name):
        return [FieldError("file", "the file name holds control characters or is not "
                                   "text")]
    return []
