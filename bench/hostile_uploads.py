"""Benchmark: what the largest hostile uploads cost — a proposal photo at the pixel bound, and an
archive verification of small crafted ZIPs (millions of audit lines, one 100 MB line).

Run: .venv/bin/python bench/hostile_uploads.py
Each case runs in a child process, so its peak resident memory is its own (ru_maxrss, which
includes the interpreter and imports: the "baseline" line). Figures, not assertions; the bounds
themselves are tested in tests/reliability/test_security.py and tests/proposals/test_photos.py.
"""

import io
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

CASES = ("baseline", "jpeg-7740", "png-4000", "zip-4m-lines", "zip-100mb-line")


def _photo(kind: str) -> bytes:
    from PIL import Image

    side = 7740 if kind == "jpeg-7740" else 4000
    image = Image.linear_gradient("L").resize((side, side)).convert("RGB")
    out = io.BytesIO()
    image.save(out, "JPEG" if kind.startswith("jpeg") else "PNG", quality=90)
    return out.getvalue()


def run_case(kind: str, folder: str) -> None:
    """Measure one case in this (child) process and print one line; inputs were made before."""
    from app.proposals.photos import prepare_photo
    from app.reports.archive.verify import verify_archive
    from tests.reliability.test_security import _crafted_archive

    if kind == "baseline":
        work, size = (lambda: None), 0
    elif kind.startswith(("jpeg", "png")):
        data = Path(folder, kind).read_bytes()
        work, size = (lambda: prepare_photo(data)), len(data)
    else:
        chunks, repeat = (
            ([b"{}\n" * 1000], 4000) if kind == "zip-4m-lines" else ([b"a" * 2**20], 100)
        )
        source = _crafted_archive(chunks, chunk_repeat=repeat)
        size = len(source.getvalue())
        work = lambda: verify_archive(source)  # noqa: E731
    started = time.perf_counter()
    work()
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{kind:16} upload {size / 1024:9.1f} KB   {seconds:6.2f} s   peak RSS {peak:6.0f} MB")


def main() -> None:
    if len(sys.argv) == 4 and sys.argv[1] == "--case":
        run_case(sys.argv[2], sys.argv[3])
        return
    if len(sys.argv) == 3 and sys.argv[1] == "--make":
        for kind in ("jpeg-7740", "png-4000"):
            with open(os.path.join(sys.argv[2], kind), "wb") as out:
                out.write(_photo(kind))
        return
    # Linux keeps ru_maxrss across exec: the parent stays small, a child makes the inputs.
    with tempfile.TemporaryDirectory() as folder:
        subprocess.run([sys.executable, __file__, "--make", folder], check=True)
        for kind in CASES:
            subprocess.run([sys.executable, __file__, "--case", kind, folder], check=True)


if __name__ == "__main__":
    main()
