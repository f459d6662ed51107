"""Checking an archive (一小区一档案): every file against the manifest, the audit chain inside it.

Works on the ZIP alone, so anyone holding a copy can check it (``flask archive verify FILE``,
the committee page, or by hand with ``sha256sum -c``). Members are read in chunks and never past
the size the manifest states, so a doctored or oversized member cannot exhaust memory.

Everything an uploaded file can make large is bounded: the members counted, the manifest's
bytes and entries, the audit trail's bytes, lines and line length, and the findings kept. Past
a bound the check stops, says so (a problem: the archive was not fully checked) and answers in
bounded time and memory, so a small crafted ZIP cannot stall the committee's upload page.
"""

import hashlib
import io
import json
import zipfile
import zlib
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from flask_babel import lazy_gettext as _l

from app.core.audit import GENESIS, AuditEvent, canonical_json

# Version 2: audit lines carry their community chain and sequence number (gapless from 1) and
# the manifest names the chain's head; version 1 archives (one city-wide chain) still verify.
FORMAT, VERSION = "coplan-archive", 2
READABLE_VERSIONS = (1, 2)
MANIFEST, MANIFEST_SUM, AUDIT = "manifest.json", "manifest.sha256", "audit.jsonl"
READ_CHUNK = 1024 * 1024
# Bounds on what an archive may hold; a real one (5,000 households) is far inside each.
MANIFEST_LIMIT = 16 * 1024 * 1024
MAX_MEMBERS = 20_000
AUDIT_BYTES_LIMIT = 1024 * 1024 * 1024
AUDIT_LINES_LIMIT = 1_000_000
AUDIT_LINE_LIMIT = 16 * 1024 * 1024  # one event; a 5,000-household roster import is ~1 MB
MAX_FINDINGS = 200

MESSAGES = {
    "not_zip": _l("文件不是有效的 ZIP 档案（%(detail)s）。"),
    "no_manifest": _l("档案中没有清单文件 manifest.json。"),
    "manifest_unreadable": _l("清单 manifest.json 无法读取：%(detail)s"),
    "manifest_hash": _l("manifest.sha256 与清单 manifest.json 不符：清单被改动过。"),
    "missing": _l("缺少文件：%(path)s"),
    "extra": _l("清单中没有的文件：%(path)s"),
    "unsafe": _l("文件名不安全：%(path)s"),
    "duplicate": _l("同名文件出现了不止一次：%(path)s"),
    "size": _l("文件大小与清单不符：%(path)s（清单 %(expected)s 字节，实际 %(actual)s 字节）"),
    "hash": _l("文件内容被改动（SHA-256 与清单不符）：%(path)s"),
    "corrupt": _l("文件已损坏，无法读取：%(path)s（%(detail)s）"),
    "audit_line": _l("操作记录第 %(actual)s 行无法读取。"),
    "audit_hash": _l("操作记录 #%(actual)s 的内容被改动（哈希值不符）。"),
    "audit_link": _l("操作记录 #%(actual)s 与前一条 #%(expected)s 之间的哈希链断裂。"),
    "audit_order": _l("操作记录 #%(actual)s 的顺序不对（应排在 #%(expected)s 之后）。"),
    "audit_start": _l(
        "操作记录不是从本小区记录链的第 1 条开始的（第一条是第 %(actual)s 条）：前面的记录缺失。"
    ),
    "audit_missing": _l("操作记录链中缺少第 %(expected)s 到第 %(actual)s 条。"),
    "audit_chain": _l("操作记录 #%(actual)s 不属于本小区的记录链。"),
    "audit_head": _l(
        "档案清单写明记录链截至 %(expected)s，但档案中的记录截至 %(actual)s：记录不完整或被改动。"
    ),
    "too_many_members": _l("档案包含 %(actual)s 个文件，超过上限 %(expected)s，未逐一核对。"),
    "audit_too_big": _l(
        "操作记录超过核对上限（%(detail)s，上限 %(expected)s），其后的记录未核对。"
    ),
    "audit_line_too_long": _l(
        "操作记录第 %(actual)s 行超过 %(expected)s 字节，无法核对，其后的记录未核对。"
    ),
    "truncated": _l("问题过多，只列出前 %(expected)s 个，其余未再核对。"),
    # Notes: facts worth knowing, not failures.
    "no_manifest_sum": _l("档案中没有 manifest.sha256（可选），已直接核对清单中的每个文件。"),
    "audit_gaps": _l(
        "操作记录中有 %(actual)s 处间隔：哈希链是全系统统一的，间隔处是其他小区的操作记录，"
        "不属于本档案，不算错误。"
    ),
}


@dataclass(frozen=True)
class Finding:
    """One problem (or note) found in an archive, with what it concerns."""

    kind: str
    path: str = ""
    expected: object = None
    actual: object = None
    detail: str = ""

    @property
    def message(self) -> str:
        """The finding in words (Chinese msgid, translated)."""
        return str(MESSAGES[self.kind]) % {
            "path": self.path,
            "expected": self.expected,
            "actual": self.actual,
            "detail": self.detail,
        }


@dataclass
class AuditCheck:
    """The audit trail inside an archive, walked: links held, gaps met, breaks found."""

    events: int = 0
    linked: int = 0
    gaps: int = 0  # version 1 only: other communities' events between two of this one's
    chain: int | None = None  # version 2: the community chain the lines belong to
    last_seq: int | None = None
    starts_at_genesis: bool = False
    first_id: int | None = None
    last_id: int | None = None
    last_hash: str | None = None
    problems: list[Finding] = field(default_factory=list)
    # True when a bound stopped the walk before the end of the trail.
    stopped: bool = False

    def add(self, finding: Finding) -> bool:
        """Keep a problem; False (and a truncation note) once MAX_FINDINGS are kept."""
        if len(self.problems) >= MAX_FINDINGS:
            self.problems.append(Finding("truncated", AUDIT, expected=MAX_FINDINGS))
            self.stopped = True
            return False
        self.problems.append(finding)
        return True

    @property
    def head(self) -> str | None:
        """SEQ:HASH of the last event walked (version 2 lines), as notices print heads."""
        if self.last_seq is None or self.last_hash is None:
            return None
        return f"{self.last_seq}:{self.last_hash}"

    def summary(self) -> dict:
        """The check as plain data (audit-verification.json)."""
        return {
            "events": self.events,
            "first_id": self.first_id,
            "last_id": self.last_id,
            "last_hash": self.last_hash,
            "starts_at_genesis": self.starts_at_genesis,
            "linked": self.linked,
            "gaps_other_communities": self.gaps,
            "chain": self.chain,
            "head": self.head,
            "ok": not self.problems,
            "complete": not self.stopped,
            "problems": [f.message for f in self.problems],
        }


def event_hash(line: dict) -> str:
    """The hash an audit line's fields give, computed exactly as app.core.audit does (version 1
    lines, from the single city-wide chain, have no chain and seq in their payload)."""
    if "seq" not in line:
        legacy = {key: line[key] for key in LEGACY_FIELDS}
        return hashlib.sha256(canonical_json(legacy).encode()).hexdigest()
    event = AuditEvent(
        community_id=line["community_id"],
        actor=line["actor"],
        action=line["action"],
        record_type=line["record_type"],
        record_id=line["record_id"],
        before=line["before"],
        after=line["after"],
        created_at=datetime.fromisoformat(line["created_at"]),
        chain=int(line["chain"]),
        seq=int(line["seq"]),
        prev_hash=line["prev_hash"],
        rows=line.get("rows"),
    )
    return event.compute_hash()


LEGACY_FIELDS = (
    "community_id",
    "actor",
    "action",
    "record_type",
    "record_id",
    "before",
    "after",
    "created_at",
    "prev_hash",
)


def _links(check: AuditCheck, line: dict, event_id: int, previous: dict | None) -> list:
    """Problems between this line and the one before (None: the first line)."""
    found = []
    if "seq" in line:  # version 2: one community chain, numbered without gaps from 1
        seq = int(line["seq"])
        if check.chain is None:
            check.chain = int(line["chain"])
        elif int(line["chain"]) != check.chain:
            found.append(Finding("audit_chain", AUDIT, actual=event_id))
        if previous is None:
            check.starts_at_genesis = seq == 1 and line["prev_hash"] == GENESIS
            if seq != 1:
                found.append(Finding("audit_start", AUDIT, actual=seq))
        elif seq != previous["seq"] + 1:
            found.append(Finding("audit_missing", AUDIT, previous["seq"] + 1, seq - 1))
        elif line["prev_hash"] == previous["hash"]:
            check.linked += 1
        else:
            found.append(Finding("audit_link", AUDIT, previous["id"], event_id))
        check.last_seq = seq
        return found
    if previous is None:
        check.starts_at_genesis = check.events == 0 and line["prev_hash"] == GENESIS
    elif event_id <= previous["id"]:
        found.append(Finding("audit_order", AUDIT, previous["id"], event_id))
    elif line["prev_hash"] == previous["hash"]:
        check.linked += 1
    elif event_id == previous["id"] + 1:
        found.append(Finding("audit_link", AUDIT, previous["id"], event_id))
    else:
        check.gaps += 1
    return found


def check_audit_lines(lines: Iterable[bytes | str | dict]) -> AuditCheck:
    """Walk audit.jsonl: each event's own hash, and the link to the event before it.

    Version 2 lines are one community's chain: numbered 1, 2, 3 ... without a gap, each linked
    to the one before, so the archive proves it holds the whole chain up to its last line.
    Version 1 lines came from one city-wide chain: two events of this community that are not
    neighbours by id may have others' events between them (a gap, not a failure); neighbours by
    id that do not link are a break. The walk stops at AUDIT_LINES_LIMIT lines or MAX_FINDINGS
    problems, saying so.
    """
    check = AuditCheck()
    previous = None
    for number, raw in enumerate(lines, start=1):
        if number > AUDIT_LINES_LIMIT:
            check.add(Finding("audit_too_big", AUDIT, AUDIT_LINES_LIMIT, detail=f"> {number - 1}"))
            check.stopped = True
            break
        try:
            line = raw if isinstance(raw, dict) else json.loads(raw)
            event_id, digest = int(line["id"]), event_hash(line)
            found = _links(check, line, event_id, previous)
        except (ValueError, KeyError, TypeError):
            previous = None
            if not check.add(Finding("audit_line", AUDIT, actual=number)):
                break
            continue
        check.events += 1
        check.first_id = event_id if check.first_id is None else check.first_id
        if digest != line.get("hash"):
            found.insert(0, Finding("audit_hash", AUDIT, actual=event_id))
        previous = {"id": event_id, "hash": line.get("hash"), "seq": check.last_seq}
        check.last_id, check.last_hash = event_id, line.get("hash")
        if not all(check.add(finding) for finding in found):
            break
    return check


class LineTooLong(ValueError):
    """An audit line longer than AUDIT_LINE_LIMIT; `number` is its line number."""

    def __init__(self, number: int):
        super().__init__(number)
        self.number = number


@dataclass
class VerificationResult:
    """What checking an archive found: problems (none: intact), notes, and what it holds."""

    problems: list[Finding] = field(default_factory=list)
    notes: list[Finding] = field(default_factory=list)
    manifest: dict | None = None
    files_checked: int = 0
    audit: AuditCheck | None = None
    sha256: str = ""
    size: int = 0

    def add(self, finding: Finding) -> bool:
        """Keep a problem; False (and a truncation note) once MAX_FINDINGS are kept."""
        if len(self.problems) >= MAX_FINDINGS:
            if self.problems[-1].kind != "truncated":
                self.problems.append(Finding("truncated", expected=MAX_FINDINGS))
            return False
        self.problems.append(finding)
        return True

    @property
    def ok(self) -> bool:
        """True when every file matches the manifest and the audit chain holds."""
        return not self.problems

    @property
    def created_at(self) -> datetime | None:
        """When the manifest says the archive was made (naive UTC), if it says so readably."""
        stamp = (self.manifest or {}).get("created_at")
        try:
            return datetime.fromisoformat(stamp.removesuffix("Z"))
        except (AttributeError, TypeError, ValueError):
            return None


def file_digest(stream) -> tuple[str, int]:
    """SHA-256 and size of a whole (seekable) file, read in chunks; the position is restored."""
    start = stream.tell()
    digest, size = hashlib.sha256(), 0
    while chunk := stream.read(READ_CHUNK):
        digest.update(chunk)
        size += len(chunk)
    stream.seek(start)
    return digest.hexdigest(), size


def _safe(name: str) -> bool:
    """A member name that stays inside the archive's folder when unpacked."""
    parts = name.replace("\\", "/").split("/")
    return not (name.startswith(("/", "\\")) or ".." in parts or ":" in parts[0])


def _root(names: list[str]) -> str | None:
    """The archive's folder ("plan-12/"): where manifest.json is, at the top or one level down."""
    for name in names:
        if name == MANIFEST or (name.endswith("/" + MANIFEST) and name.count("/") == 1):
            return name[: -len(MANIFEST)]
    return None


def _read_limited(archive: zipfile.ZipFile, name: str, limit: int) -> bytes:
    """A member's bytes, refusing to read more than `limit`."""
    with archive.open(name) as member:
        data = member.read(limit + 1)
    if len(data) > limit:
        raise ValueError(f"larger than {limit} bytes")
    return data


def _member_digest(archive: zipfile.ZipFile, name: str, limit: int) -> tuple[str, int]:
    """SHA-256 and size of a member, reading at most one byte past `limit`."""
    digest, size = hashlib.sha256(), 0
    with archive.open(name) as member:
        while size <= limit and (chunk := member.read(min(READ_CHUNK, limit + 1 - size))):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def _manifest_files(manifest) -> list[dict]:
    """The manifest's file list, checked for shape; raises ValueError when it is not usable."""
    if not isinstance(manifest, dict):
        raise ValueError("not a JSON object")
    if manifest.get("format") != FORMAT or manifest.get("version") not in READABLE_VERSIONS:
        raise ValueError(f"unknown format {manifest.get('format')!r} {manifest.get('version')!r}")
    files = manifest.get("files")
    if not isinstance(files, list):
        raise ValueError("no file list")
    if len(files) > MAX_MEMBERS:
        raise ValueError(f"{len(files)} files listed, more than {MAX_MEMBERS}")
    for entry in files:
        if not (
            isinstance(entry, dict)
            and isinstance(entry.get("path"), str)
            and isinstance(entry.get("size"), int)
            and isinstance(entry.get("sha256"), str)
            and len(entry["sha256"]) == 64
        ):
            raise ValueError(f"bad file entry {entry!r}"[:200])
    return files


def verify_archive(source) -> VerificationResult:
    """Check an archive (a path or a seekable binary file): manifest, files, audit chain."""
    if isinstance(source, str | Path):
        with open(source, "rb") as stream:
            return verify_archive(stream)
    result = VerificationResult()
    result.sha256, result.size = file_digest(source)
    try:
        archive = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        result.problems.append(Finding("not_zip", detail=str(exc)))
        return result
    with archive:
        _verify_members(archive, result)
    return result


def _verify_members(archive: zipfile.ZipFile, result: VerificationResult) -> None:
    """The checks on an opened ZIP, appended to `result`."""
    infos = [i for i in archive.infolist() if not i.is_dir()]
    if len(infos) > MAX_MEMBERS:
        result.add(Finding("too_many_members", expected=MAX_MEMBERS, actual=len(infos)))
        return
    names = [i.filename for i in infos]
    counts = Counter(names)
    for name in sorted(n for n, count in counts.items() if count > 1):
        result.add(Finding("duplicate", name))
    for name in names:
        if not _safe(name):
            result.add(Finding("unsafe", name))
    root = _root(names)
    if root is None:
        result.add(Finding("no_manifest"))
        return
    try:
        manifest_bytes = _read_limited(archive, root + MANIFEST, MANIFEST_LIMIT)
        manifest = json.loads(manifest_bytes.decode("utf-8"))
        files = _manifest_files(manifest)
    except (ValueError, UnicodeDecodeError, zipfile.BadZipFile, zlib.error, OSError) as exc:
        result.add(Finding("manifest_unreadable", root + MANIFEST, detail=str(exc)))
        return
    result.manifest = manifest
    if root + MANIFEST_SUM in names:
        try:
            recorded = _read_limited(archive, root + MANIFEST_SUM, 1024).decode().split()[:1]
        except (ValueError, UnicodeDecodeError, zipfile.BadZipFile, zlib.error) as exc:
            result.add(Finding("corrupt", root + MANIFEST_SUM, detail=str(exc)))
        else:
            if recorded != [hashlib.sha256(manifest_bytes).hexdigest()]:
                result.add(Finding("manifest_hash", root + MANIFEST_SUM))
    else:
        result.notes.append(Finding("no_manifest_sum"))
    sizes = {i.filename: i.file_size for i in infos}
    listed = set()
    for entry in files:
        path = entry["path"]
        listed.add(root + path)
        _verify_file(archive, root + path, entry, sizes, result)
    for name in names:
        if name not in listed and name not in (root + MANIFEST, root + MANIFEST_SUM):
            result.add(Finding("extra", name))
    if any(entry["path"] == AUDIT for entry in files) and root + AUDIT in sizes:
        _verify_audit(archive, root + AUDIT, result)


def _verify_file(archive, name: str, entry: dict, sizes: dict, result) -> None:
    """One listed file: present, of the stated size, with the stated SHA-256."""
    if not _safe(entry["path"]) or name not in sizes:
        result.add(Finding("missing" if _safe(entry["path"]) else "unsafe", name))
        return
    if sizes[name] != entry["size"]:
        result.add(Finding("size", name, entry["size"], sizes[name]))
        return
    try:
        digest, size = _member_digest(archive, name, entry["size"])
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError) as exc:
        result.add(Finding("corrupt", name, detail=str(exc)))
        return
    if size != entry["size"]:
        result.add(Finding("size", name, entry["size"], size))
    elif digest != entry["sha256"].lower():
        result.add(Finding("hash", name))
    else:
        result.files_checked += 1


def _audit_lines(archive: zipfile.ZipFile, name: str) -> Iterator[bytes]:
    """The non-empty lines of the archive's audit trail, streamed; each read is bounded."""
    with archive.open(name) as member:
        reader = io.BufferedReader(member, READ_CHUNK)
        number = 0
        while raw := reader.readline(AUDIT_LINE_LIMIT + 1):
            number += 1
            if len(raw) > AUDIT_LINE_LIMIT and not raw.endswith(b"\n"):
                raise LineTooLong(number)
            if raw.strip():
                yield raw


def _verify_audit(archive: zipfile.ZipFile, name: str, result: VerificationResult) -> None:
    """The audit chain inside the archive: every event's hash, every link between neighbours."""
    size = archive.getinfo(name).file_size
    if size > AUDIT_BYTES_LIMIT:
        result.add(Finding("audit_too_big", name, AUDIT_BYTES_LIMIT, detail=f"{size} bytes"))
        return
    try:
        result.audit = check_audit_lines(_audit_lines(archive, name))
    except LineTooLong as exc:
        result.add(Finding("audit_line_too_long", name, AUDIT_LINE_LIMIT, exc.number))
        return
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError) as exc:
        result.add(Finding("corrupt", name, detail=str(exc)))
        return
    for finding in result.audit.problems:
        if not result.add(finding):
            break
    stated = (result.manifest or {}).get("audit_head")
    if stated is not None and stated != result.audit.head:
        result.add(Finding("audit_head", name, stated, result.audit.head or "-"))
    if result.audit.gaps:
        result.notes.append(Finding("audit_gaps", name, actual=result.audit.gaps))
