"""Words for co-funding codes: funding sources, share methods, payment methods."""

from decimal import Decimal

from flask_babel import lazy_gettext as _l

SOURCE_LABELS = {
    "government": _l("政府补助（含以奖代补）"),
    "utility": _l("管线单位出资"),
    "maintenance_fund": _l("住宅专项维修资金"),
    "public_income": _l("小区公共收益"),
    "other": _l("其他来源"),
}
RESIDENTS_LABEL = _l("居民出资")

METHOD_LABELS = {
    "equal": _l("每户平均分摊"),
    "area": _l("按房屋面积分摊"),
    "floor": _l("按楼层系数 × 面积分摊"),
    "floor_flat": _l("按楼层系数分摊（与面积无关）"),
    "custom": _l("按每户约定金额分摊"),
}

PAYMENT_METHOD_LABELS = {
    "cash": _l("现金"),
    "bank": _l("银行转账"),
    "wechat": _l("微信"),
    "alipay": _l("支付宝"),
    "other": _l("其他"),
}


def coefficient_text(value: Decimal) -> str:
    """A coefficient as people write it: 1.20 → "1.2", 0 → "0", 1 → "1"."""
    text = format(Decimal(value).normalize(), "f")
    return text


def describe_method(method: str, table: dict[int, Decimal] | None) -> str:
    """The share method in one sentence, naming exempt floors ("…，1、2 层免缴")."""
    words = str(METHOD_LABELS.get(method, method))
    if method in ("floor", "floor_flat") and table:
        exempt = [str(f) for f, c in sorted(table.items()) if c == 0]
        if exempt:
            words = str(_l("%(method)s，%(floors)s 层免缴", method=words, floors="、".join(exempt)))
    return words
