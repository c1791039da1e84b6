"""What a file is, from its bytes (never from its name or the type its sender claims).

PDF, JPEG and PNG by their signatures; OFD (the Chinese fixed-layout format of official
documents), DOCX and XLSX are ZIP packages told apart by the part each must hold.
"""
from __future__ import annotations

import io
import struct
import zipfile
import zlib

MEDIA_TYPES = {
    "pdf": "application/pdf",
    "jpeg": "image/jpeg",
    "png": "image/png",
    "ofd": "application/ofd",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
LABELS_ZH = {"pdf": "PDF", "jpeg": "JPEG 图片", "png": "PNG 图片", "ofd": "OFD 版式文件",
             "docx": "Word 文档（.docx）", "xlsx": "Excel 工作簿（.xlsx）"}
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# Parts that make a ZIP package one kind or another.
PACKAGE_PARTS = (("xlsx", "xl/workbook.xml"), ("docx", "word/document.xml"), ("ofd", "OFD.xml"))


def kind_of(content: bytes) -> str | None:
    """"pdf", "jpeg", "png", "ofd", "docx", "xlsx", or None for anything else."""
    if content.startswith(b"%PDF-"):
        return "pdf"
    if content.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if content.startswith(PNG_SIGNATURE):
        return "png" if png_chunks(content) is not None else None
    if content.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(content)) as package:
                names = set(package.namelist())
                if package.testzip() is not None:
                    return None
        except (zipfile.BadZipFile, ValueError, RuntimeError, NotImplementedError, OSError,
                EOFError, zlib.error):
            return None
        for kind, part in PACKAGE_PARTS:
            if part in names:
                return kind
    return None


def png_chunks(content: bytes) -> list[tuple[bytes, bytes]] | None:
    """The chunks (type, data) of a well-formed PNG, each CRC checked; None if it is not one."""
    if not content.startswith(PNG_SIGNATURE):
        return None
    chunks, at = [], len(PNG_SIGNATURE)
    while at + 12 <= len(content):
        (length,) = struct.unpack(">I", content[at:at + 4])
        kind = content[at + 4:at + 8]
        data = content[at + 8:at + 8 + length]
        crc = content[at + 8 + length:at + 12 + length]
        if len(data) != length or len(crc) != 4 or \
                struct.unpack(">I", crc)[0] != zlib.crc32(kind + data) & 0xFFFFFFFF:
            return None
        chunks.append((kind, data))
        at += 12 + length
        if kind == b"IEND":
            break
    if not chunks or chunks[0][0] != b"IHDR" or chunks[-1][0] != b"IEND":
        return None
    return chunks


def png_size_and_alpha(content: bytes) -> tuple[int, int, bool] | None:
    """Width, height and whether the PNG can be transparent (an alpha channel or tRNS)."""
    chunks = png_chunks(content)
    if chunks is None:
        return None
    width, height, _depth, colour_type = struct.unpack(">IIBB", chunks[0][1][:10])
    alpha = colour_type in (4, 6) or any(kind == b"tRNS" for kind, _ in chunks)
    return width, height, alpha
