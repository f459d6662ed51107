"""Where a request may send the browser next: only a path on this site, never elsewhere."""

from urllib.parse import urlsplit


def local_target(target: str | None, default: str | None) -> str | None:
    r"""`target` when it is a plain path on this site; `default` otherwise.

    Browsers drop tabs and line breaks inside URLs and read a backslash as a slash, so
    "/\t/evil.example" or "/\\evil.example" would leave the site: any control character or
    backslash is refused, as is anything with a scheme or a host.
    """
    if not target or any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in target) or "\\" in target:
        return default
    if not target.startswith("/") or target.startswith("//"):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return default
    return target
