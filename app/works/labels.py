"""Words for the works' codes (status, photo stage, severity, issue status), Chinese first."""

from flask_babel import lazy_gettext as _l

WORKS_STATUS_LABELS = {
    "pending": _l("待施工"),
    "in_progress": _l("施工中"),
    "paused": _l("暂停"),
    "completed": _l("完工待验"),
    "rectifying": _l("整改中"),
    "accepted": _l("已验收"),
}
PHOTO_STAGE_LABELS = {"before": _l("施工前"), "during": _l("施工中"), "after": _l("施工后")}
SEVERITY_LABELS = {"ok": _l("正常"), "minor": _l("一般问题"), "serious": _l("严重问题")}
LOG_KIND_LABELS = {
    "progress": _l("施工记录"),
    "inspection": _l("监督员巡查"),
    "status": _l("状态变更"),
    "issue": _l("问题反映"),
}
SUPERVISOR_STATUS_LABELS = {
    "volunteered": _l("自荐"),
    "nominated": _l("被推荐"),
    "appointed": _l("已任命"),
}
ISSUE_STATUS_LABELS = {
    "reported": _l("待处理"),
    "assigned": _l("整改中"),
    "rectified": _l("待复查"),
    "closed": _l("已办结"),
}
ISSUE_STEP_LABELS = {
    "reported": _l("居民反映"),
    "assigned": _l("交办整改"),
    "rectified": _l("整改完成"),
    "reopened": _l("复查未通过"),
    "closed": _l("复查通过，办结"),
}

LABELS = {
    "works_status": WORKS_STATUS_LABELS,
    "photo_stage": PHOTO_STAGE_LABELS,
    "severity": SEVERITY_LABELS,
    "log_kind": LOG_KIND_LABELS,
    "supervisor_status": SUPERVISOR_STATUS_LABELS,
    "issue_status": ISSUE_STATUS_LABELS,
    "issue_step": ISSUE_STEP_LABELS,
}


def works_label(kind: str, code) -> str:
    """The words for a code of one kind; an unknown code reads as itself."""
    if code is None:
        return ""
    return str(LABELS[kind].get(code, code))
