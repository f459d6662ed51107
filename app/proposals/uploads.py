"""Uploaded proposal photos checked one by one, each refusal named in the user's words."""

from flask import current_app, request
from flask_babel import lazy_gettext as _l

from app.proposals.photos import MAX_PHOTO_BYTES, MAX_PHOTOS, PhotoRejected, prepare_photo

# A photo form's request: room for three full-size phone photos (each shrunk on arrival) and
# the form around them.
UPLOAD_LIMIT = MAX_PHOTOS * MAX_PHOTO_BYTES + 1024 * 1024


def raise_upload_limit_for(endpoints: tuple[str, ...]):
    """A blueprint's url_value_preprocessor raising the request body limit to UPLOAD_LIMIT for
    its photo forms; it runs before CSRF reads the body."""

    def allow_photo_uploads(endpoint, values):
        if endpoint in endpoints:
            configured = current_app.config.get("MAX_CONTENT_LENGTH") or 0
            request.max_content_length = max(configured, UPLOAD_LIMIT)

    return allow_photo_uploads


PHOTO_REFUSALS = {
    "empty": lambda n, name: _l("第 %(n)d 张照片（%(name)s）是空文件。", n=n, name=name),
    "too_big": lambda n, name: _l(
        "第 %(n)d 张照片（%(name)s）超过 12 MB，请换一张。", n=n, name=name
    ),
    "type": lambda n, name: _l(
        "第 %(n)d 张照片（%(name)s）不是 JPEG、PNG 或 WebP 格式的图片。", n=n, name=name
    ),
    "broken": lambda n, name: _l(
        "第 %(n)d 张照片（%(name)s）打不开，可能已损坏或不是图片。", n=n, name=name
    ),
    "too_many_pixels": lambda n, name: _l(
        "第 %(n)d 张照片（%(name)s）的像素太多，请换一张。", n=n, name=name
    ),
}


def prepare_photos(photos: list[tuple[str, bytes]], problems: list) -> list[tuple[str, bytes]]:
    """Validated, re-encoded photos; every refusal goes to `problems`."""
    if len(photos) > MAX_PHOTOS:
        problems.append(
            _l("最多只能上传 %(max)d 张照片，您选了 %(n)d 张。", max=MAX_PHOTOS, n=len(photos))
        )
        return []
    prepared = []
    for n, (name, data) in enumerate(photos, start=1):
        try:
            prepared.append(prepare_photo(data))
        except PhotoRejected as exc:
            problems.append(PHOTO_REFUSALS[exc.kind](n, name or "-"))
    return prepared
