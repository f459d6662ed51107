"""Benchmark: 1,000 paper ballots in one PDF, against a bare ReportLab loop drawing the same.

Run: .venv/bin/python bench/print_ballots.py [--households 1000] [--runs 3]
Builds a community of 1,000 households (5 buildings x 4 units x 25 floors x 2) and a plan of six
items (two scoped) in voting on a temporary SQLite database, then times:

- ours: what `flask print ballots` does - read the batch, draw it, write the serials;
- ours (render only): drawing the prepared ballots into the PDF;
- bare: a plain ReportLab loop drawing the same strings (drawString) and the same QR codes
  (segno, same fixed mask, one path of rectangles) on 1,000 pages, nothing else.

Prints the median time of each, the file size, peak Python memory (tracemalloc, in a separate
run, as tracing slows the code) and peak RSS. Goal: ours under 5 s and at most 1.5x bare.
Figures, not assertions.
"""

import argparse
import io
import json
import os
import resource
import statistics
import sys
import tempfile
import time
import tracemalloc
from datetime import timedelta
from decimal import Decimal

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def build(app, households: int) -> int:
    """A community of `households` and a plan in voting; returns the plan id."""
    from app.communities.operations import apply_roster_import, create_community, plan_roster_import
    from app.communities.roster import RosterRow
    from app.extensions import db
    from app.plans.items import import_plan
    from app.plans.planfile import parse_plan_file
    from app.plans.queries import local_today
    from app.plans.workflow import set_phase

    with app.test_request_context():
        community = create_community("基准小区", "滨城区")
        rows, n = [], 0
        for b in range(1, 6):
            for u in range(1, 5):
                for f in range(1, 26):
                    for d in (1, 2):
                        n += 1
                        if n > households:
                            break
                        rows.append(RosterRow(n + 1, f"{b}号楼", f"{u}单元", f"{f}0{d}", f,
                                              Decimal(60 + n % 40) + Decimal(n % 100) / 100,
                                              f"业主{n:04d}", None, None))  # fmt: skip
        apply_roster_import(
            community, plan_roster_import(community, rows), filename="b", sha256="-"
        )
        today = local_today()
        plan_file = {
            "community": "基准小区",
            "title": "2026年老旧小区改造方案",
            "phases": {"voting": {"opens": str(today - timedelta(days=1)),
                                  "closes": str(today + timedelta(days=9))}},
            "items": [
                {"key": "A1", "title": "外墙保温及屋面防水", "category": "basic",
                 "rule": "cc278_major", "cost_fen": 180_000_000,
                 "funding": {"government": 150_000_000}, "share_method": "area",
                 "summary": "全部楼栋外墙保温层更换，屋面重做防水。"},
                {"key": "A2", "title": "楼道污水管线更换", "category": "basic",
                 "rule": "cc278_major", "cost_fen": 24_000_000,
                 "funding": {"government": 16_000_000}, "share_method": "equal",
                 "scope": {"buildings": ["1号楼", "2号楼"]}},
                {"key": "A3", "title": "雨污分流及道路修复", "category": "basic",
                 "rule": "cc278_major", "cost_fen": 50_000_000,
                 "funding": {"government": 50_000_000}},
                {"key": "B1", "title": "3号楼2单元加装电梯", "category": "improvement",
                 "rule": "cc278_major", "cost_fen": 65_000_000,
                 "funding": {"government": 20_000_000}, "share_method": "floor",
                 "scope": {"units": [["3号楼", "2单元"]]},
                 "floor_coefficients": {str(f): 0 if f < 3 else 1 + (f - 3) / 10
                                        for f in range(1, 26)}},
                {"key": "B2", "title": "增设电动自行车充电棚", "category": "improvement",
                 "rule": "cc278_ordinary", "cost_fen": 8_000_000,
                 "funding": {"government": 4_000_000}, "share_method": "equal"},
                {"key": "C1", "title": "社区老年食堂", "category": "enhancement",
                 "rule": "cc278_ordinary", "cost_fen": 30_000_000,
                 "funding": {"government": 30_000_000}},
            ],
        }  # fmt: skip
        spec = parse_plan_file(json.dumps(plan_file, ensure_ascii=False).encode())
        plan = import_plan(community, spec)
        set_phase(plan, "drafting")
        set_phase(plan, "voting")  # fixes every household's shares, as in production
        db.session.commit()
        return plan.id


def bare_loop(pages, font: str) -> bytes:
    """Plain ReportLab: the same strings at fixed places, the same QR codes, one page each."""
    import segno
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen.canvas import Canvas

    from app.formats.pdf import QR_ERROR, QR_MASK, yuan
    from app.paper.serials import format_serial
    from app.printing.ballots import ballot_rules

    out = io.BytesIO()
    c = Canvas(out, pagesize=A4, initialFontName=font, pageCompression=1)
    for d in pages:
        y = 800
        for text in (d.community, "改造方案表决票", "方案：" + d.plan_title, "楼栋", d.building,
                     "单元", d.unit, "房号", d.room, "面积", f"{d.area} ㎡", "业主", d.owner_name,
                     "填写方法：每个项目在“同意”“反对”“弃权”中选一项，在方框内打“√”。",
                     "编号", "改造项目", "类别", "您家分摊（元）",
                     "同意", "反对", "弃权", "认缴"):  # fmt: skip
            c.setFont(font, 11)
            c.drawString(50, y, text)
            y -= 4
        for item in d.items:
            for text in (item.key, item.title, item.summary, item.category,
                         yuan(item.share_fen or 0)):  # fmt: skip
                c.drawString(60, y, text)
                y -= 4
            for i in range(4):
                c.rect(400 + i * 30, y, 18, 18)
        for rule in ballot_rules(d):
            c.drawString(50, y, rule)
            y -= 4
        for text in ("业主（或受托人）签名：", "联系电话：", "日期：  年  月  日",
                     "请将本票交回社区居委会", "票号 " + format_serial(d.serial)):  # fmt: skip
            c.drawString(50, y, text)
            y -= 4
        matrix = segno.make(format_serial(d.serial), error=QR_ERROR, micro=False, mask=QR_MASK,
                            boost_error=False).matrix  # fmt: skip
        path = c.beginPath()
        n = len(matrix)
        for r, row in enumerate(matrix):
            col = 0
            while col < n:
                if row[col]:
                    start = col
                    while col < n and row[col]:
                        col += 1
                    path.rect(450 + start * 3, 700 + (n - r) * 3, (col - start) * 3, 3)
                else:
                    col += 1
        c.drawPath(path, stroke=0, fill=1)
        c.showPage()
    c.save()
    return out.getvalue()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--households", type=int, default=1000)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="coplan-bench-print-")
    os.environ["COPLAN_INSTANCE"] = tmp
    from flask_migrate import upgrade

    from app import create_app
    from app.extensions import db
    from app.formats.fonts import pdf_font
    from app.plans.models import Plan
    from app.printing.batches import prepare, render
    from app.printing.operations import apply_batch

    app = create_app("testing", SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp}/bench.sqlite3")
    with app.app_context():
        upgrade()
    pid = build(app, args.households)

    def ours() -> tuple[float, float, float, bytes, int]:
        with app.test_request_context():
            cpu = time.process_time()
            start = time.perf_counter()
            plan = db.session.get(Plan, pid)
            batch = prepare(plan, "ballots")
            out = io.BytesIO()
            drawn = time.perf_counter()
            render(batch, out)
            rendered = time.perf_counter()
            apply_batch(plan, batch)
            db.session.commit()
            end = time.perf_counter()
            cpu = time.process_time() - cpu
            return end - start, rendered - drawn, cpu, out.getvalue(), batch.households

    ours_times, render_times, bare_times, ours_cpu, bare_cpu = [], [], [], [], []
    with app.app_context():
        font = pdf_font()
        for _ in range(args.runs):
            total, render_only, cpu, pdf, count = ours()
            ours_times.append(total)
            ours_cpu.append(cpu)
            render_times.append(render_only)
            with app.test_request_context():
                pages = prepare(db.session.get(Plan, pid), "ballots").pages
            cpu, start = time.process_time(), time.perf_counter()
            bare = bare_loop(pages, font)
            bare_times.append(time.perf_counter() - start)
            bare_cpu.append(time.process_time() - cpu)
        tracemalloc.start()
        ours()
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    ours_s, render_s, bare_s = (
        statistics.median(t) for t in (ours_times, render_times, bare_times)
    )
    print(f"{count} ballots, {len(pdf) / 1024 / 1024:.2f} MiB PDF (bare loop: "
          f"{len(bare) / 1024 / 1024:.2f} MiB), median of {args.runs} runs")  # fmt: skip
    print(f"  ours, whole batch (read, draw, write serials): {ours_s:.2f} s "
          f"({', '.join(f'{t:.2f}' for t in ours_times)})")  # fmt: skip
    print(f"  ours, drawing only:                            {render_s:.2f} s")
    print(f"  bare ReportLab loop, same text and QR:         {bare_s:.2f} s")
    print(
        f"  ratio ours/bare: whole batch {ours_s / bare_s:.2f}x, drawing {render_s / bare_s:.2f}x"
    )
    oc, bc = statistics.median(ours_cpu), statistics.median(bare_cpu)
    print(f"  CPU time (steadier on a busy machine): ours {oc:.2f} s, bare {bc:.2f} s, "
          f"ratio {oc / bc:.2f}x")  # fmt: skip
    print(f"  peak Python memory (tracemalloc): {peak / 1024 / 1024:.1f} MiB; "
          f"peak RSS of the process: {rss:.0f} MiB")  # fmt: skip
    print(f"  goal: under 5 s and at most 1.5x -> "
          f"{'met' if ours_s < 5 and ours_s / bare_s <= 1.5 else 'NOT met'}")  # fmt: skip


if __name__ == "__main__":
    main()
