"""Proposal photos: type by magic bytes, size, and a Pillow re-encode that drops metadata.

Pure: takes bytes, returns bytes; imports neither Flask nor the database. Re-encoding proves
the file is a real image, removes EXIF (phone photos carry the GPS position of the home) and
shrinks it (a 12 MB phone photo becomes a few hundred KB), so a resident's slow phone loads it
quickly and a large photo is taken in rather than refused.
"""

import io
import warnings

from PIL import Image, ImageOps, UnidentifiedImageError

MAX_PHOTOS = 3
# The largest photo taken in: a phone camera's full-size JPEG (often 5-12 MB) is shrunk here
# rather than refused. What is kept is re-encoded, at most MAX_SIDE pixels and MAX_STORED_BYTES.
MAX_PHOTO_BYTES = 12 * 1024 * 1024
MAX_STORED_BYTES = 5 * 1024 * 1024
# Far above any phone camera, far below a decompression bomb. A JPEG is decoded already
# shrunk (Pillow's draft mode: 1/2 to 1/8 scale in the decoder), so even the largest costs a few
# megabytes; PNG and WebP decode at full size, and phones make them only for screenshots.
MAX_PIXELS = 60_000_000
MAX_PIXELS_FULL_DECODE = {"image/png": 16_000_000, "image/webp": 16_000_000}
# Longest side kept: enough to see a cracked wall, small enough for a slow network.
MAX_SIDE = 2048

# content type → Pillow format name.
FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP"}
EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}


class PhotoRejected(ValueError):
    """A photo that cannot be kept; `kind` is empty, too_big, type, broken or too_many_pixels."""

    def __init__(self, kind: str):
        super().__init__(kind)
        self.kind = kind


def sniff_type(data: bytes) -> str | None:
    """The image type the file's first bytes declare (JPEG, PNG or WebP), else None."""
    if data[:3] == b"\xff\xd8\xff":
        return "image/jpeg"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "image/png"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def _encode(image: Image.Image, content_type: str) -> bytes:
    """Save the image in its own format, without metadata."""
    out = io.BytesIO()
    if content_type == "image/jpeg":
        if image.mode not in ("RGB", "L"):
            image = image.convert("RGB")
        image.save(out, "JPEG", quality=85, optimize=True)
    elif content_type == "image/png":
        if image.mode not in ("1", "L", "LA", "P", "RGB", "RGBA"):
            image = image.convert("RGBA")
        image.save(out, "PNG", optimize=True)
    else:
        if image.mode not in ("RGB", "RGBA"):
            image = image.convert("RGBA")
        image.save(out, "WEBP", quality=85)
    return out.getvalue()


def _within_stored_limit(image: Image.Image, content_type: str) -> tuple[str, bytes]:
    """Encode the image in its own type; when that is still over MAX_STORED_BYTES (a noisy PNG
    screenshot, say), as JPEG, smaller each round until it fits."""
    data = _encode(image, content_type)
    while len(data) > MAX_STORED_BYTES and min(image.size) > 64:
        if content_type != "image/jpeg":
            content_type = "image/jpeg"
            image = image.convert("RGB") if image.mode not in ("RGB", "L") else image
        else:
            image = image.resize((image.width * 3 // 4, image.height * 3 // 4))
        data = _encode(image, content_type)
    return content_type, data


def prepare_photo(data: bytes) -> tuple[str, bytes]:
    """(content type, re-encoded bytes) of an uploaded photo, or PhotoRejected with the reason."""
    if not data:
        raise PhotoRejected("empty")
    if len(data) > MAX_PHOTO_BYTES:
        raise PhotoRejected("too_big")
    content_type = sniff_type(data)
    if content_type is None:
        raise PhotoRejected("type")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=[FORMATS[content_type]]) as image:
                # The header alone gives the dimensions: checked before any pixel is decoded.
                limit = MAX_PIXELS_FULL_DECODE.get(content_type, MAX_PIXELS)
                if image.width * image.height > limit:
                    raise PhotoRejected("too_many_pixels")
                if content_type == "image/jpeg":
                    image.draft(image.mode, (MAX_SIDE, MAX_SIDE))
                image.load()
                # In place: no second full-size copy while turning and shrinking.
                ImageOps.exif_transpose(image, in_place=True)
                image.thumbnail((MAX_SIDE, MAX_SIDE))
                return _within_stored_limit(image, content_type)
    except PhotoRejected:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise PhotoRejected("too_many_pixels") from exc
    except (
        UnidentifiedImageError,
        OSError,
        SyntaxError,
        ValueError,
        EOFError,
    ) as exc:
        raise PhotoRejected("broken") from exc
