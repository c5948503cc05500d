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
from core.i18n import N_
from helpcenter.models import MediaFile

# Pillow format -> (MIME type, extension). SVG is left out on purpose: it can carry script.
ALLOWED = {
    "PNG": ("image/png", "png"),
    "JPEG": ("image/jpeg", "jpg"),
    "GIF": ("image/gif", "gif"),
    "WEBP": ("image/webp", "webp"),
}
# The highest pixel limit an operator may set (FAQDESK_UPLOAD_MAX_PIXELS, 25 Mpx by default): a few
# kilobytes of PNG can declare 40 Mpx that take 160 MB and seconds of CPU once decoded, and screenshots
# and photos for articles need far less. Pillow's own guard (warns above MAX_IMAGE_PIXELS, refuses above
# twice that) is lowered from its 89 Mpx to the same ceiling for any code in this process that opens
# an image; uploads turn its warning into a refusal as well.
PIXEL_CEILING = 50_000_000
Image.MAX_IMAGE_PIXELS = PIXEL_CEILING
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


class TooManyPixels(UploadError):
    """The image declares more pixels than allowed (told from its header, never decoded)."""

    error = "too_many_pixels"


def _too_many(width: int, height: int, max_pixels: int) -> TooManyPixels:
    return TooManyPixels(
        f"the image is {width} × {height} pixels ({width * height / 1e6:.1f} megapixels); "
        f"images up to {max_pixels / 1e6:g} megapixels are accepted"
    )


def _inspect(data: bytes, max_pixels: int) -> tuple[str, int, int]:
    max_pixels = min(max_pixels, PIXEL_CEILING)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            # open() reads the header only: the size is known before any pixel is decompressed.
            with Image.open(io.BytesIO(data)) as image:
                kind, (width, height) = image.format or "", image.size
                if width * height > max_pixels:
                    raise _too_many(width, height, max_pixels)
                image.verify()  # chunk structure and checksums; still no decoding
    except TooManyPixels:
        raise
    except (Image.DecompressionBombWarning, Image.DecompressionBombError) as exc:  # far too many: Pillow's guard
        raise TooManyPixels(
            f"the image has too many pixels; images up to {max_pixels / 1e6:g} megapixels are accepted"
        ) from exc
    except Exception as exc:  # Pillow raises many types for broken or foreign files
        raise UploadError(N_("the file is not a PNG, JPEG, GIF or WebP image")) from exc
    if kind not in ALLOWED:
        raise UploadError(f"{kind or 'this'} images are not accepted; use PNG, JPEG, GIF or WebP")
    return kind, width, height


def save_upload(
    session: Session,
    *,
    data: bytes,
    filename: str,
    media_dir: Path,
    max_bytes: int,
    uploaded_by: str,
    max_pixels: int,
) -> MediaFile:
    """Store an image after checking its size, pixel count and content; the same image twice is kept once."""
    if not data:
        raise UploadError(N_("the file is empty"))
    if len(data) > max_bytes:
        raise UploadError(f"the file is larger than {max_bytes // 1024} KiB")
    kind, width, height = _inspect(data, max_pixels)
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
