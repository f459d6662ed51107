"""The community menu: one line per page, shown when its endpoint exists and the role may use it."""

from flask import current_app, url_for
from flask_babel import lazy_gettext as _l

from app.core.permissions import has_permission

# (endpoint, label, permission). Endpoints take community_id only.
COMMUNITY_MENU = [
    ("communities.overview", _l("概况"), "community.view"),
    ("plans.plan_list", _l("改造方案"), "plan.view"),
    ("proposals.community_proposals", _l("居民提议"), "plan.view"),
    ("funding.community_funding", _l("资金"), "funding.view"),
    ("printing.hub", _l("打印与纸质票"), "print"),
    ("tally.community_results", _l("表决结果"), "tally.view"),
    ("works.community_works", _l("施工"), "plan.view"),
    ("communities.households", _l("住户"), "household.view"),
    ("communities.roster_upload", _l("导入花名册"), "roster.import"),
    ("communities.codes", _l("登录码"), "codes.issue"),
    ("communities.audit", _l("操作记录"), "audit.view"),
]


def community_menu(user, community) -> list[tuple[str, str]]:
    """(url, label) of the menu entries this user may open in this community."""
    entries = []
    for endpoint, label, permission in COMMUNITY_MENU:
        if endpoint in current_app.view_functions and has_permission(user, permission):
            entries.append((url_for(endpoint, community_id=community.id), str(label)))
    return entries


# Sections contributed to a page by packages above the one that renders it: page name ->
# functions returning HTML (Markup) or None. "household_home" (voting renders it) gets
# fn(household, plan); "community_overview" (communities) gets fn(community). app.works adds
# 施工进度 to the first and its overdue issue reports to the second.
_sections: dict[str, list] = {}


def register_section(page: str, fn) -> None:
    """Add a section to a page (once per function)."""
    fns = _sections.setdefault(page, [])
    if fn not in fns:
        fns.append(fn)


def page_sections(page: str, *args) -> list:
    """The extra sections of a page, in registration order (the empty ones left out)."""
    return [html for fn in _sections.get(page, ()) if (html := fn(*args))]
