"""A community worker on a phone: sign in, import the roster example, issue codes; a household
then signs in with a code from the downloaded file."""

import csv
import io
import re
from pathlib import Path

from playwright.sync_api import expect

ROSTER = Path(__file__).resolve().parents[1] / "data" / "roster-example.csv"


def sign_in_worker(phone, username: str, password: str = "secret-pass-1"):
    """Sign a staff user in through the staff sign-in page."""
    page = phone.page
    page.goto("/staff/signin")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    expect(page).to_have_url(re.compile(r"/staff/$"))


def test_worker_imports_roster_and_issues_codes(phone, second_phone, factory):
    cid = factory.community(name="滨城区示例小区", roster=False)
    factory.user("w1", "worker", communities=[cid])
    page = phone.page
    sign_in_worker(phone, "w1")
    phone.shot("staff-home")
    page.get_by_role("link", name="滨城区示例小区").click()
    expect(page.get_by_text("还没有住户。请先导入花名册。")).to_be_visible()
    phone.shot("empty-overview")

    page.get_by_role("navigation", name="小区菜单").get_by_role("link", name="导入花名册").click()
    phone.shot("upload-page")
    page.get_by_label("花名册文件（CSV 或 XLSX）").set_input_files(str(ROSTER))
    page.get_by_role("button", name="上传并预览").click()
    expect(page.get_by_role("heading", name="花名册预览")).to_be_visible()
    expect(page.get_by_text("新增 84 户")).to_be_visible()
    phone.shot("preview")

    page.get_by_role("button", name="确认导入").click()
    expect(page.get_by_role("status")).to_contain_text("新增 84 户")
    expect(page.locator(".stats")).to_contain_text("84")
    phone.shot("imported-overview")

    page.get_by_role("navigation", name="小区菜单").get_by_role("link", name="登录码").click()
    expect(page.get_by_text("还没有登录码的住户：84 户。")).to_be_visible()
    phone.shot("codes-page")
    with page.expect_download() as download_info:
        page.get_by_role("button", name="发放并下载（CSV）").click()
    download = download_info.value
    text = Path(download.path()).read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:5] == ["楼栋", "单元", "房号", "业主", "登录码"]
    assert len(rows) == 85
    page.goto(f"/c/{cid}/")
    expect(page.locator(".stats")).to_contain_text("84")
    phone.shot("overview-with-codes")

    # A resident signs in with a code from the worker's file, on another phone.
    building, unit, room, _owner, code, link = rows[1]
    resident = second_phone.page
    resident.goto("/")
    resident.get_by_label("登录码").fill(code)
    resident.get_by_role("button", name="登录").click()
    expect(resident.get_by_role("heading", level=1)).to_contain_text(f"{building} {unit} {room}")
    second_phone.shot("resident-home")
    assert re.search(r"/h/[A-Z0-9]{10}$", link)

    # A second download does not reveal the codes again: every household already has one.
    page.goto(f"/c/{cid}/codes")
    expect(page.get_by_text("还没有登录码的住户：0 户。")).to_be_visible()


def test_worker_sees_every_row_error_and_nothing_is_imported(phone, factory, tmp_path):
    cid = factory.community(name="错误小区", roster=False)
    factory.user("w1", "worker", communities=[cid])
    bad = tmp_path / "bad.csv"
    bad.write_text("楼栋,房号,面积,业主\n1号楼,101,abc,张三\n1号楼,,60,李四\n", encoding="utf-8")
    sign_in_worker(phone, "w1")
    page = phone.page
    page.goto(f"/c/{cid}/roster")
    page.get_by_label("花名册文件（CSV 或 XLSX）").set_input_files(str(bad))
    page.get_by_role("button", name="上传并预览").click()
    alert = page.get_by_role("alert").first
    expect(alert).to_contain_text("没有导入任何数据")
    expect(page.locator(".issues li")).to_have_count(2)
    expect(page.locator(".issues")).to_contain_text("2")
    expect(page.locator(".issues")).to_contain_text("3")
    phone.shot("row-errors")
    page.goto(f"/c/{cid}/")
    expect(page.get_by_text("还没有住户。请先导入花名册。")).to_be_visible()
