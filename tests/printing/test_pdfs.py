"""The PDFs: letters and ballots opened again (text, fonts, QR), serials, codes, batches."""

import shutil
import subprocess

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select

from app.core.codes import ALPHABET, normalize_code
from app.extensions import db
from app.paper.models import PaperSerial
from app.paper.serials import (
    check_symbol,
    format_serial,
    new_serial,
    normalize_serial,
    serial_problem,
)
from tests.plans.conftest import household_id
from tests.printing.conftest import issued, pdf_fonts, pdf_pages


@given(st.data())
def test_serial_check_symbol_catches_any_single_typo(data):
    serial = new_serial()
    assert serial_problem(serial) is None
    position = data.draw(st.integers(0, len(serial) - 1))
    other = data.draw(st.sampled_from([c for c in ALPHABET if c != serial[position]]))
    typo = serial[:position] + other + serial[position + 1 :]
    assert serial_problem(typo) == "check"


@given(st.integers(0, 10))
def test_serial_check_symbol_catches_a_swap_of_neighbours(position):
    serial = new_serial()
    if serial[position] == serial[position + 1]:
        return
    swapped = serial[:position] + serial[position + 1] + serial[position] + serial[position + 2 :]
    assert serial_problem(swapped) == "check"


def test_serial_is_typed_in_groups_and_read_back_from_any_spelling():
    serial = new_serial()
    printed = format_serial(serial)
    assert len(serial) == 13 and printed.count("-") == 3
    assert normalize_serial(printed.lower().replace("-", " ")) == serial
    assert normalize_serial("ＡＢ") == "AB"  # full width from a Chinese keyboard
    assert serial_problem("ABC") == "length"
    assert check_symbol(serial[:12]) == serial[12]


def _page_of(pages: list[str], address: str) -> str:
    matches = [p for p in pages if address in p.replace("\n", "").replace(" ", "")]
    assert len(matches) == 1, address
    return matches[0]


@pytest.mark.slow
def test_ballots_name_household_items_share_and_serial_with_the_font_embedded(
    app,
    example,
    run_print,
):
    _cid, pid = example(phase="voting")
    result, pdf = run_print("ballots", pid)
    assert result.exit_code == 0, result.output
    pages = pdf_pages(pdf)
    assert len(pages) == 84  # one page per household, every one in some item's scope
    serials = issued(app, pid)
    assert len(serials) == 84
    # 3号楼2单元: the elevator (B1) is in its scope, the drainage item (A2, buildings 1-2) is not.
    elevator = _page_of(pages, "3号楼2单元601")
    hid = household_id(app, "3号楼", "2单元", "601")
    assert format_serial(serials[hid]) in elevator
    for text in (
        "改造方案表决票",
        "外墙保温及屋面防水",
        "加装电梯",
        "同意",
        "反对",
        "弃权",
        "认缴",
    ):
        assert text in elevator
    assert "楼道污水管线更换" not in elevator
    assert "签名" in elevator and "有效填写规则" in elevator
    drainage = _page_of(pages, "1号楼1单元101")
    assert "楼道污水管线更换" in drainage and "加装电梯" not in drainage
    fonts = pdf_fonts(pdf)
    assert fonts and all(f["embedded"] for f in fonts), fonts
    assert all("WenQuanYi" in f["name"] for f in fonts)


def test_a_reprint_voids_the_old_serial(app, example, run_print):
    _cid, pid = example(phase="voting")
    assert run_print("ballots", pid, "--building", "1号楼")[0].exit_code == 0
    first = issued(app, pid)
    result, pdf = run_print("ballots", pid, "--building", "1号楼", "--unit", "1单元")
    assert result.exit_code == 0, result.output
    second = issued(app, pid)
    unit_ids = [hid for hid in second if second[hid] != first[hid]]
    assert len(unit_ids) == len(pdf_pages(pdf)) > 0
    with app.app_context():
        voided = db.session.scalars(select(PaperSerial).where(PaperSerial.status == "void")).all()
        assert {s.serial for s in voided} == {first[h] for h in unit_ids}
        assert all(s.voided_at is not None for s in voided)
    from app.paper.operations import find_serial

    with app.test_request_context():
        from app.core.errors import DomainError
        from app.plans.models import Plan

        plan = db.session.get(Plan, pid)
        with pytest.raises(DomainError, match="已作废"):
            find_serial(plan, format_serial(first[unit_ids[0]]))
        assert find_serial(plan, second[unit_ids[0]]).household_id == unit_ids[0]


def test_letters_print_fresh_codes_and_old_ones_stop_working(app, factory, example, run_print):
    cid, pid = example(phase="drafting")
    old_codes = factory.codes(cid)
    result, pdf = run_print(
        "letters",
        pid,
        "--building",
        "2号楼",
        "--contact",
        "居委会 王书记 88886666",
        "--base-url",
        "https://coplan.example.cn",
    )
    assert result.exit_code == 0, result.output
    pages = pdf_pages(pdf)
    page = _page_of(pages, "2号楼1单元101")
    assert "居委会 王书记 88886666" in page and "登录码" in page
    new_code = normalize_code(page.split("您家的登录码")[1].split("\n")[1])
    client = app.test_client()
    assert client.get(f"/h/{old_codes[('2号楼', '1单元', '101')]}").status_code == 401
    assert client.get(f"/h/{new_code}").status_code == 302
    # A household outside the batch keeps its code.
    assert app.test_client().get(f"/h/{old_codes[('1号楼', '1单元', '101')]}").status_code == 302
    assert all(f["embedded"] for f in pdf_fonts(pdf))


@pytest.mark.skipif(not shutil.which("zbarimg") or not shutil.which("pdftoppm"), reason="zbar")
def test_printed_qr_codes_scan_to_the_serial_and_the_sign_in_link(
    app, example, run_print, tmp_path
):
    _cid, pid = example(phase="voting")
    result, pdf = run_print("ballots", pid, "--building", "3号楼", "--unit", "2单元")
    assert result.exit_code == 0
    serials = set(issued(app, pid).values())
    (tmp_path / "b.pdf").write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", tmp_path / "b.pdf", tmp_path / "b"],
        check=True,
    )
    png = next(tmp_path.glob("b*.png"))
    decoded = subprocess.run(["zbarimg", "-q", "--raw", png], capture_output=True, text=True)
    assert normalize_serial(decoded.stdout.strip()) in serials
    result, pdf = run_print(
        "letters",
        pid,
        "--unit",
        "2单元",
        "--building",
        "3号楼",
        "--base-url",
        "https://coplan.example.cn",
    )
    (tmp_path / "l.pdf").write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", tmp_path / "l.pdf", tmp_path / "l"],
        check=True,
    )
    link = subprocess.run(
        ["zbarimg", "-q", "--raw", next(tmp_path.glob("l*.png"))], capture_output=True, text=True
    ).stdout.strip()
    assert link.startswith("https://coplan.example.cn/h/")
    assert app.test_client().get(link.removeprefix("https://coplan.example.cn")).status_code == 302


def test_no_usable_font_is_a_clear_error_not_boxes(app, example, run_print):
    _cid, pid = example(phase="voting")
    app.config["COPLAN_PDF_FONT"] = "/nonexistent/font.ttf"
    try:
        result, pdf = run_print("ballots", pid)
    finally:
        app.config.pop("COPLAN_PDF_FONT")
    assert result.exit_code == 1 and pdf is None
    assert "fonts-wqy-microhei" in result.output and "COPLAN_PDF_FONT" in result.output
    assert issued(app, pid) == {}


def test_ballots_cannot_be_printed_after_voting(app, example, run_print):
    _cid, pid = example(phase="proposals")
    result, pdf = run_print("ballots", pid)
    assert result.exit_code == 1 and pdf is None
    with app.app_context():
        assert db.session.scalar(select(func.count(PaperSerial.id))) == 0
