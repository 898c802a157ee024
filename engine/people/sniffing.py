"""What a file is, from its first bytes (magic numbers), never from its name."""
from __future__ import annotations

# (content type, test on the first bytes)
_SIGNATURES: tuple[tuple[str, object], ...] = (
    ("application/pdf", lambda head: head.startswith(b"%PDF-")),
    ("image/png", lambda head: head.startswith(b"\x89PNG\r\n\x1a\n")),
    ("image/jpeg", lambda head: head.startswith(b"\xff\xd8\xff")),
    ("image/gif", lambda head: head[:6] in (b"GIF87a", b"GIF89a")),
    ("image/webp", lambda head: head[:4] == b"RIFF" and head[8:12] == b"WEBP"),
    ("audio/wav", lambda head: head[:4] == b"RIFF" and head[8:12] == b"WAVE"),
    ("audio/mpeg", lambda head: head.startswith(b"ID3")
     or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0)),
    # Known only to be named in refusals: executables and archives.
    ("application/x-msdownload", lambda head: head.startswith(b"MZ")),
    ("application/x-elf", lambda head: head.startswith(b"\x7fELF")),
    ("application/x-mach-o", lambda head: head[:4] in (b"\xfe\xed\xfa\xce", b"\xfe\xed\xfa\xcf",
                                                       b"\xcf\xfa\xed\xfe", b"\xce\xfa\xed\xfe")),
    ("application/x-sh", lambda head: head.startswith(b"#!")),
    ("application/zip", lambda head: head.startswith(b"PK\x03\x04")),
)
# What an attachment rule may allow: the signatures above that are documents, and text.
KNOWN_TYPES = ("application/pdf", "image/png", "image/jpeg", "image/gif", "image/webp",
               "audio/wav", "audio/mpeg", "text/plain")
# Text a browser would run or render as a page, whatever the type it is served with.
_ACTIVE_MARKERS = (b"<html", b"<!doctype", b"<script", b"<svg", b"<iframe", b"<body",
                   b"<?xml", b"javascript:")


def sniff(content: bytes) -> str:
    """The content type the bytes show: one of the signatures, text/plain for UTF-8 text
    that holds no markup a browser would act on, text/html for text that does, and
    application/octet-stream for anything else."""
    head = content[:64]
    for content_type, matches in _SIGNATURES:
        if matches(head):  # type: ignore[operator]
            return content_type
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        return "application/octet-stream"
    if "\x00" in text:
        return "application/octet-stream"
    lowered = content.lower()
    if any(marker in lowered for marker in _ACTIVE_MARKERS):
        return "text/html"
    return "text/plain"
