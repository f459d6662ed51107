"""Photo checks: type by magic bytes (not the name), size, real images only, metadata removed."""

import io
import struct
import zlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from app.proposals.photos import (
    MAX_PHOTO_BYTES,
    MAX_SIDE,
    MAX_STORED_BYTES,
    PhotoRejected,
    prepare_photo,
    sniff_type,
)
from tests.proposals.conftest import image_bytes


@pytest.mark.parametrize(
    ("fmt", "content_type"),
    [("JPEG", "image/jpeg"), ("PNG", "image/png"), ("WEBP", "image/webp")],
)
def test_jpeg_png_webp_are_accepted_and_reencoded_in_their_own_type(fmt, content_type):
    data = image_bytes(fmt)
    assert sniff_type(data) == content_type
    kept_type, kept = prepare_photo(data)
    assert kept_type == content_type
    with Image.open(io.BytesIO(kept)) as image:
        assert image.format == fmt and image.size == (40, 30)


@pytest.mark.parametrize("fmt", ["GIF", "BMP", "TIFF"])
def test_other_image_types_are_refused_by_their_bytes(fmt):
    with pytest.raises(PhotoRejected) as exc:
        prepare_photo(image_bytes(fmt))
    assert exc.value.kind == "type"


def test_a_text_file_is_refused_whatever_its_name():
    # The name is never consulted: only the bytes decide.
    with pytest.raises(PhotoRejected) as exc:
        prepare_photo("这不是图片".encode() * 10)
    assert exc.value.kind == "type"


@pytest.mark.parametrize(
    "magic", [b"\xff\xd8\xff\xe0", b"\x89PNG\r\n\x1a\n", b"RIFF\0\0\0\0WEBPVP8 "]
)
def test_right_magic_bytes_but_not_an_image_is_refused_as_broken(magic):
    with pytest.raises(PhotoRejected) as exc:
        prepare_photo(magic + b"\x00garbage" * 50)
    assert exc.value.kind == "broken"


def test_a_truncated_photo_is_refused():
    data = image_bytes("JPEG", size=(400, 300))
    with pytest.raises(PhotoRejected) as exc:
        prepare_photo(data[: len(data) // 2])
    assert exc.value.kind == "broken"


def test_size_limit_is_twelve_megabytes():
    jpeg = image_bytes("JPEG")
    at_limit = jpeg + b"\0" * (MAX_PHOTO_BYTES - len(jpeg))  # decoders stop at the end marker
    assert MAX_PHOTO_BYTES == 12 * 1024 * 1024
    assert prepare_photo(at_limit)[0] == "image/jpeg"
    with pytest.raises(PhotoRejected) as exc:
        prepare_photo(at_limit + b"\0")
    assert exc.value.kind == "too_big"


def test_a_photo_over_five_megabytes_is_shrunk_instead_of_refused():
    # A full-size phone photo of 6.5 MB: noise does not compress, like a real scene.
    size = (3264, 2448)
    noise = Image.merge("RGB", [Image.effect_noise(size, 60) for _ in range(3)])
    out = io.BytesIO()
    noise.save(out, "JPEG", quality=90)
    assert len(out.getvalue()) > 5 * 1024 * 1024
    kept_type, kept = prepare_photo(out.getvalue())
    assert kept_type == "image/jpeg" and len(kept) <= MAX_STORED_BYTES
    with Image.open(io.BytesIO(kept)) as image:
        assert max(image.size) <= MAX_SIDE


def test_a_png_too_big_to_keep_as_png_is_kept_as_jpeg():
    noise = Image.merge("RGB", [Image.effect_noise((1800, 1400), 80) for _ in range(3)])
    out = io.BytesIO()
    noise.save(out, "PNG")
    assert MAX_STORED_BYTES < len(out.getvalue()) <= MAX_PHOTO_BYTES
    kept_type, kept = prepare_photo(out.getvalue())
    assert kept_type == "image/jpeg" and len(kept) <= MAX_STORED_BYTES


@settings(max_examples=10, deadline=None)
@given(
    st.integers(16, 3000),
    st.integers(16, 3000),
    st.integers(0, 8 * 1024 * 1024),
    st.sampled_from(["JPEG", "PNG", "WEBP"]),
)
def test_every_accepted_photo_is_kept_small(width, height, padding, fmt):
    data = image_bytes(fmt, size=(width, height))
    data += b"\0" * min(padding, MAX_PHOTO_BYTES - len(data))
    kept_type, kept = prepare_photo(data)
    assert len(kept) <= MAX_STORED_BYTES
    with Image.open(io.BytesIO(kept)) as image:
        assert max(image.size) <= MAX_SIDE
        assert image.size == _fitted((width, height)) or kept_type == "image/jpeg"


def _fitted(size):
    """The size Pillow's thumbnail gives within MAX_SIDE."""
    image = Image.new("L", size)
    image.thumbnail((MAX_SIDE, MAX_SIDE))
    return image.size


def test_empty_file_is_refused():
    with pytest.raises(PhotoRejected) as exc:
        prepare_photo(b"")
    assert exc.value.kind == "empty"


def test_exif_such_as_gps_is_removed_and_orientation_applied():
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90° on display
    exif[0x010F] = "PhoneMaker"
    data = image_bytes("JPEG", size=(40, 30), exif=exif.tobytes())
    with Image.open(io.BytesIO(data)) as original:
        assert original.getexif().get(0x010F) == "PhoneMaker"
    _type, kept = prepare_photo(data)
    with Image.open(io.BytesIO(kept)) as image:
        assert not image.getexif()
        assert image.size == (30, 40)  # stored upright


def test_large_photos_are_scaled_down():
    _type, kept = prepare_photo(image_bytes("PNG", size=(MAX_SIDE * 2, 100)))
    with Image.open(io.BytesIO(kept)) as image:
        assert max(image.size) == MAX_SIDE


def png_header(width: int, height: int) -> bytes:
    """A PNG that only declares its size (no pixel data): what a decompression bomb starts with."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunk = b"IHDR" + ihdr
    return (
        b"\x89PNG\r\n\x1a\n"
        + struct.pack(">I", len(ihdr))
        + chunk
        + struct.pack(">I", zlib.crc32(chunk))
        + struct.pack(">I", 0)
        + b"IEND"
        + struct.pack(">I", zlib.crc32(b"IEND"))
    )


@pytest.mark.parametrize("side", [8000, 20000])
def test_pixel_bombs_are_refused_before_decoding(side):
    with pytest.raises(PhotoRejected) as exc:
        prepare_photo(png_header(side, side))
    assert exc.value.kind == "too_many_pixels"


@settings(deadline=None)  # as many examples as the profile asks (tests/conftest.py)
@given(
    st.sampled_from([b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"RIFF\x10\0\0\0WEBP", b""]),
    st.binary(max_size=400),
)
def test_arbitrary_bytes_are_either_a_photo_or_a_clear_refusal(magic, tail):
    try:
        content_type, data = prepare_photo(magic + tail)
    except PhotoRejected as exc:
        assert exc.kind in ("empty", "type", "broken", "too_many_pixels")
    else:
        assert sniff_type(data) == content_type


def test_png_and_webp_that_would_decode_at_full_size_have_a_lower_bound():
    # 7,740 × 7,740 (59.9 MP) passed the old 60 MP bound and cost 240 MB to decode.
    with pytest.raises(PhotoRejected) as exc:
        prepare_photo(png_header(7740, 7740))
    assert exc.value.kind == "too_many_pixels"
    with pytest.raises(PhotoRejected):
        prepare_photo(png_header(4001, 4001))


def test_a_large_jpeg_is_decoded_shrunk_and_kept_at_the_longest_side():
    from PIL import Image

    big = io.BytesIO()
    Image.new("RGB", (8000, 6000), (120, 130, 140)).save(big, "JPEG", quality=50)
    content_type, data = prepare_photo(big.getvalue())
    with Image.open(io.BytesIO(data)) as kept:
        assert (content_type, kept.size) == ("image/jpeg", (2048, 1536))
