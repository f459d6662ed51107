"""Writing an archive's ZIP: members streamed through a SHA-256, JSON written a line per record,
and the closing SHA256SUMS, manifest.json and manifest.sha256."""

import hashlib
import json
import zipfile
from collections.abc import Iterable
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from app.reports.archive.verify import MANIFEST, MANIFEST_SUM

SUMS = "SHA256SUMS"
COMPRESS_LEVEL = 1


class HashingStream:
    """A write-only stream into a ZIP member that counts and hashes what passes through."""

    def __init__(self, raw):
        self.raw, self.digest, self.size = raw, hashlib.sha256(), 0

    def write(self, data: bytes | str) -> None:
        """Write text (as UTF-8) or bytes."""
        data = data.encode("utf-8") if isinstance(data, str) else data
        self.digest.update(data)
        self.size += len(data)
        self.raw.write(data)


@dataclass
class ArchiveWriter:
    """Writes files under one folder of a ZIP, recording each file's size and SHA-256."""

    target: object
    root: str
    when: tuple
    files: list[dict] = field(default_factory=list)

    def __post_init__(self):
        # Level 1: JSON and CSV shrink almost as much as at the default 6, several times faster.
        self.zip = zipfile.ZipFile(
            self.target, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=COMPRESS_LEVEL
        )

    @contextmanager
    def open(self, path: str):
        """A member to stream into; listed in the manifest when closed."""
        info = zipfile.ZipInfo(self.root + path, date_time=self.when)
        info.compress_type = zipfile.ZIP_DEFLATED
        info._compresslevel = COMPRESS_LEVEL  # ZipFile.open(info) takes the level from the info
        info.external_attr = 0o644 << 16
        with self.zip.open(info, "w") as raw:
            out = HashingStream(raw)
            yield out
        self.files.append({"path": path, "size": out.size, "sha256": out.digest.hexdigest()})

    def add(self, path: str, data: bytes | str) -> None:
        """A whole member at once."""
        with self.open(path) as out:
            out.write(data)

    def add_file(self, path: str, source: Path) -> None:
        """A member copied from a file on disk, in chunks."""
        with self.open(path) as out, open(source, "rb") as src:
            while chunk := src.read(1024 * 1024):
                out.write(chunk)

    def close(self, manifest: dict) -> dict:
        """Write SHA256SUMS, the manifest and its checksum; close the ZIP. Returns the manifest."""
        listed = sorted(self.files, key=lambda f: f["path"])
        self.add(SUMS, "".join(f"{f['sha256']}  {f['path']}\n" for f in listed))
        manifest["files"] = sorted(self.files, key=lambda f: f["path"])
        data = json.dumps(manifest, ensure_ascii=False, indent=2) + "\n"
        self.add(MANIFEST, data)
        self.files.pop()  # the manifest does not list itself
        self.add(MANIFEST_SUM, f"{hashlib.sha256(data.encode()).hexdigest()}  {MANIFEST}\n")
        self.files.pop()
        self.zip.close()
        return manifest


def compact_json(value) -> str:
    """One-line JSON, Chinese kept readable."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def write_json(out: HashingStream, fields: Iterable[tuple[str, object]]) -> None:
    """A JSON object whose list values (lists or iterators) are streamed one item per line.

    Callables are called when their turn comes (e.g. conflicts gathered while streaming).
    """
    out.write("{")
    for n, (key, value) in enumerate(fields):
        out.write(("\n" if n == 0 else ",\n") + compact_json(key) + ": ")
        value = value() if callable(value) else value
        if isinstance(value, dict | str | int | float | bool) or value is None:
            out.write(compact_json(value))
            continue
        out.write("[")
        first = True
        for item in value:
            out.write(("\n" if first else ",\n") + compact_json(item))
            first = False
        out.write("]" if first else "\n]")
    out.write("\n}\n")


def pretty(value) -> str:
    """Small documents: indented JSON, Chinese kept readable."""
    return json.dumps(value, ensure_ascii=False, indent=2) + "\n"
