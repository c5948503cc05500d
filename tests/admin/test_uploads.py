"""Image uploads: checked by content and size, stored under a content hash, served with safe headers."""

from __future__ import annotations

import io
import re
import struct
import zlib
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from core.accounts import Role
from core.settings import Settings
from helpcenter import media
from tests.admin.conftest import csrf_token


def image_bytes(fmt: str, size: tuple[int, int] = (4, 3), color: str = "red") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format=fmt)
    return buffer.getvalue()


def upload(client: TestClient, name: str, data: bytes, content_type: str = "image/png") -> int:
    token = csrf_token(client, "/admin/media")
    return client.post(
        "/admin/media", data={"csrf_token": token}, files={"file": (name, data, content_type)}
    ).status_code


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "GIF", "WEBP"])
def test_images_are_stored_and_served_with_safe_headers(
    as_role: Callable[[Role], TestClient], admin_settings: Settings, app_client: TestClient, fmt: str
) -> None:
    editor = as_role(Role.editor)
    data = image_bytes(fmt, color="blue" if fmt == "GIF" else "red")
    assert upload(editor, f"photo.{fmt.lower()}", data, "application/octet-stream") == 303
    stored = [p for p in admin_settings.media_dir.iterdir() if p.read_bytes() == data]
    assert len(stored) == 1 and stored[0].suffix in (".png", ".jpg", ".gif", ".webp")
    served = app_client.get(f"/media/{stored[0].name}")
    assert served.status_code == 200 and served.content == data
    assert (
        served.headers["content-type"]
        == {"PNG": "image/png", "JPEG": "image/jpeg", "GIF": "image/gif", "WEBP": "image/webp"}[fmt]
    )
    assert served.headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in served.headers["content-security-policy"]


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("notes.png", b"just some text pretending", "not a PNG, JPEG, GIF or WebP"),
        ("x.svg", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"></svg>', "not a PNG"),
        ("page.html", b"<html><script>alert(1)</script></html>", "not a PNG"),
        ("empty.png", b"", "empty"),
        ("huge.png", image_bytes("PNG", (2000, 2000)) + b"\0" * 70_000, "larger than 64 KiB"),
        ("bmp.bmp", image_bytes("BMP"), "BMP images are not accepted"),
        ("cut.png", image_bytes("PNG", (50, 50))[:60], "not a PNG"),
    ],
)
def test_bad_uploads_are_refused_with_a_reason(
    as_role: Callable[[Role], TestClient], admin_settings: Settings, name: str, data: bytes, message: str
) -> None:
    editor = as_role(Role.editor)
    before = set(admin_settings.media_dir.iterdir()) if admin_settings.media_dir.exists() else set()
    token = csrf_token(editor, "/admin/media")
    response = editor.post("/admin/media", data={"csrf_token": token}, files={"file": (name, data, "image/png")})
    assert response.status_code == 400 and message in response.text
    after = set(admin_settings.media_dir.iterdir()) if admin_settings.media_dir.exists() else set()
    assert after == before, "nothing is stored"


def test_upload_names_are_shown_escaped_and_never_used_as_paths(
    as_role: Callable[[Role], TestClient], admin_settings: Settings
) -> None:
    editor = as_role(Role.editor)
    name = '../../<img src=x onerror=alert(1)>".png'
    assert upload(editor, name, image_bytes("PNG", color="green")) == 303
    page = editor.get("/admin/media").text
    assert "&lt;img src=x onerror=alert(1)&gt;" in page

    class Handlers(HTMLParser):
        found = False

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            self.found = self.found or any(k.startswith("on") for k, _ in attrs)

    parser = Handlers()
    parser.feed(page)
    assert not parser.found
    assert all(len(p.stem) == 64 for p in admin_settings.media_dir.iterdir())


def test_media_names_outside_the_store_are_not_found(app_client: TestClient) -> None:
    for name in ["..%2Fadmin.db", "secret_key", "a" * 64 + ".png", "%2e%2e%2fsecret_key"]:
        assert app_client.get(f"/media/{name}").status_code == 404


def test_agents_cannot_upload(as_role: Callable[[Role], TestClient]) -> None:
    agent = as_role(Role.agent)
    token = csrf_token(agent, "/admin/")
    response = agent.post(
        "/admin/media", data={"csrf_token": token}, files={"file": ("a.png", image_bytes("PNG"), "image/png")}
    )
    assert response.status_code == 403


def png_header_only(width: int, height: int) -> bytes:
    """A PNG declaring this size whose pixel data is one empty compressed block: it cannot be decoded."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b"")


def test_a_small_file_of_too_many_pixels_is_refused_before_decoding(
    as_role: Callable[[Role], TestClient], admin_settings: Settings
) -> None:
    editor = as_role(Role.editor)
    buffer = io.BytesIO()
    Image.new("1", (6300, 6300)).save(buffer, format="PNG", optimize=True)  # 39.7 Mpx of one colour
    bomb = buffer.getvalue()
    assert len(bomb) < 10 * 1024
    before = set(admin_settings.media_dir.iterdir()) if admin_settings.media_dir.exists() else set()
    token = csrf_token(editor, "/admin/media")
    response = editor.post("/admin/media", data={"csrf_token": token}, files={"file": ("bomb.png", bomb, "image/png")})
    assert response.status_code == 400
    assert "6300 × 6300 pixels (39.7 megapixels)" in response.text and "up to 25 megapixels" in response.text
    after = set(admin_settings.media_dir.iterdir()) if admin_settings.media_dir.exists() else set()
    assert after == before, "nothing is stored"


def test_the_pixel_limit_is_read_from_the_header_and_is_a_setting(tmp_path: Path) -> None:
    # The header says too many: refused for its size, not as the broken file it is, so nothing was decoded
    # (and before the database is needed, hence no session).
    for side, words in [(6000, "6000 × 6000 pixels (36.0 megapixels)"), (30_000, "too many pixels")]:
        with pytest.raises(media.TooManyPixels, match=re.escape(words)):
            media.save_upload(
                None,  # type: ignore[arg-type]
                data=png_header_only(side, side),
                filename="x.png",
                media_dir=tmp_path,
                max_bytes=1024,
                uploaded_by="editor@example.com",
                max_pixels=25_000_000,
            )
    small = image_bytes("PNG", (200, 100))
    with pytest.raises(media.TooManyPixels, match="up to 0.01 megapixels"):
        media.save_upload(
            None,  # type: ignore[arg-type]
            data=small,
            filename="x.png",
            media_dir=tmp_path,
            max_bytes=64 * 1024,
            uploaded_by="editor@example.com",
            max_pixels=10_000,
        )
    assert Settings(_env_file=None).upload_max_pixels == 25_000_000
    assert Image.MAX_IMAGE_PIXELS == media.PIXEL_CEILING  # Pillow's own guard, for every image opened here


def test_a_body_over_the_server_limit_gets_the_back_office_error_page(as_role: Callable[[Role], TestClient]) -> None:
    editor = as_role(Role.editor)
    token = csrf_token(editor, "/admin/media")
    big = b"\0" * (12 * 1024 * 1024)  # past every allowance (uploads and imports), so the middleware refuses it
    response = editor.post(
        "/admin/media", data={"csrf_token": token}, files={"file": ("photo.png", big, "image/png")},
        headers={"Accept": "text/html"},
    )  # fmt: skip
    assert response.status_code == 413 and response.headers["content-type"].startswith("text/html")
    assert "The request is too large: at most" in response.text and "Back to the back office" in response.text
    api = editor.post("/api/v1/conversations", content=big, headers={"Content-Type": "application/json"})
    assert api.status_code == 413 and api.json()["error"] == "too_large"  # the API keeps its JSON shape
