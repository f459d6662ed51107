"""The two ways of issuing sign-in codes say which to use when, what each voids, and how many
households already hold a live code."""

import re

from sqlalchemy import select

from app.communities.models import Household
from app.extensions import db
from tests.conftest import post_form, sign_in_staff


def strip(html: str) -> str:
    """Page text without tags and spaces, to read sentences split by markup."""
    return re.sub(r"\s+", "", re.sub(r"<[^>]+>", "", html))


def test_codes_page_counts_live_codes_and_points_residents_to_letters(app, factory):
    cid = factory.community("码小区", buildings=1, units=2, floors=2)  # 8 households
    factory.user("w1", "worker", communities=[cid])
    factory.codes(cid)
    with app.app_context():
        for household in db.session.scalars(select(Household).limit(3)):
            household.code_hash = None
        db.session.commit()
    client = app.test_client()
    sign_in_staff(client, "w1")
    html = client.get(f"/c/{cid}/codes").get_data(as_text=True)
    text = strip(html)
    assert "8户" in text and "5户已有有效登录码" in text and "还没有登录码的住户：3户。" in text
    assert "给居民发登录码：打印登录信" in text
    assert f'href="/c/{cid}/paper">去打印登录信</a>' in html
    assert "供工作人员自用：下载登录码CSV" in text and "邮件合并" in text
    assert "勾选：只给还没有登录码的3户发码，已有登录码的5户不受影响。" in text
    assert "取消勾选：给全部8户重新发码，已有的5个登录码（包括已发出的登录信上的）立即作废。" in (
        text
    )

    # Issuing only the missing codes leaves the five live ones alone, as the page said.
    response = post_form(client, f"/c/{cid}/codes", {"only_missing": "y"})
    assert response.status_code == 200 and len(response.get_data(as_text=True).splitlines()) == 4
    assert "8户已有有效登录码" in strip(client.get(f"/c/{cid}/codes").get_data(as_text=True))
