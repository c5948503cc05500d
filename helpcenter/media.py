"""Uploaded images: checked by content (not by name or declared type), stored under a content hash."""

from __future__ import annotations

import hashlib
import io
import os
import re
import warnings
from collections.abc import Sequence
from pathlib import Path

from PIL import Image
from sqlmodel import Session, select

from core.errors import NotFoundError, ValidationError
from helpcenter.models import MediaFile

# Pillow format -> (MIME type, extension). SVG is left out on purpose: it can carry script.
ALLOWED = {
    "PNG": ("image/png", "png"),
    "JPEG": ("image/jpeg", "jpg"),
    "GIF": ("image/gif", "gif"),
    "WEBP": ("image/webp", "webp"),
}
MAX_PIXELS = 40_000_000  # larger images are decompression bombs, not help-center screenshots
STORED_NAME = re.compile(r"^[0-9a-f]{64}\.(png|jpg|gif|webp)$")


class UploadError(ValidationError):
    """The upload is not an acceptable image."""

    status_code = 400
    error = "bad_upload"


def clean_name(name: str) -> str:
    """The user's file name reduced to a harmless label (it is only ever shown, escaped)."""
    name = Path(name.replace("\\", "/")).name
    name = re.sub(r"[\x00-\x1f\x7f]", "", name).strip()
    return name[:255] or "image"


def _inspect(data: bytes) -> tuple[str, int, int]:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                kind, (width, height) = image.format or "", image.size
                image.verify()
    except (Image.DecompressionBombWarning, Image.DecompressionBombError) as exc:
        raise UploadError("the image has too many pixels") from exc
    except Exception as exc:  # Pillow raises many types for broken or foreign files
        raise UploadError("the file is not a PNG, JPEG, GIF or WebP image") from exc
    if kind not in ALLOWED:
        raise UploadError(f"{kind or 'this'} images are not accepted; use PNG, JPEG, GIF or WebP")
    if width * height > MAX_PIXELS:
        raise UploadError("the image has too many pixels")
    return kind, width, height


def save_upload(
    session: Session, *, data: bytes, filename: str, media_dir: Path, max_bytes: int, uploaded_by: str
) -> MediaFile:
    """Store an image after checking its size and content; the same image uploaded twice is kept once."""
    if not data:
        raise UploadError("the file is empty")
    if len(data) > max_bytes:
        raise UploadError(f"the file is larger than {max_bytes // 1024} KiB")
    kind, width, height = _inspect(data)
    content_type, ext = ALLOWED[kind]
    stored_name = f"{hashlib.sha256(data).hexdigest()}.{ext}"
    existing = session.exec(select(MediaFile).where(MediaFile.stored_name == stored_name)).first()
    if existing is not None:
        return existing
    media_dir.mkdir(parents=True, exist_ok=True)
    target = media_dir / stored_name
    partial = target.with_suffix(".part")
    partial.write_bytes(data)
    os.replace(partial, target)  # readers never see half a file
    media = MediaFile(
        stored_name=stored_name,
        original_name=clean_name(filename),
        content_type=content_type,
        size=len(data),
        width=width,
        height=height,
        uploaded_by=uploaded_by,
    )
    session.add(media)
    session.flush()
    return media


def list_media(session: Session, *, limit: int = 200) -> Sequence[MediaFile]:
    """Uploaded images, newest first."""
    return session.exec(select(MediaFile).order_by(MediaFile.id.desc()).limit(limit)).all()  # type: ignore[union-attr]


def media_path(session: Session, *, stored_name: str, media_dir: Path) -> tuple[MediaFile, Path]:
    """The record and file of an uploaded image; names that are not ours are not found."""
    if not STORED_NAME.match(stored_name):
        raise NotFoundError(f"no image {stored_name!r}")
    media = session.exec(select(MediaFile).where(MediaFile.stored_name == stored_name)).first()
    path = media_dir / stored_name
    if media is None or not path.is_file():
        raise NotFoundError(f"no image {stored_name!r}")
    return media, path
