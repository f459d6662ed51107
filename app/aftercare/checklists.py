"""Default acceptance checklists (验收清单) by item category; the group edits them per item.

Plain data: the lines a 竣工验收 of an old-community renovation usually walks through, from the
works' completion documents to what residents see and use.
"""

COMMON = (
    "施工内容与表决通过的方案一致，无擅自增减",
    "竣工资料齐全（施工记录、隐蔽工程验收记录、材料合格证明）",
    "施工现场已清理，建筑垃圾已清运，破损处已恢复",
)

BY_CATEGORY = {
    # 基础类: 水电气路、屋面、管网等安全和基本生活设施
    "basic": (
        "管线敷设规范，接口无渗漏，标识清楚",
        "屋面、外墙防水无渗漏",
        "涉及水、电、燃气的项目已经专业单位检测合格",
        "道路、井盖平整，排水通畅",
    ),
    # 完善类: 加装电梯、停车、无障碍、安防等
    "improvement": (
        "设备已通过特种设备或专业检测，取得合格证明",
        "运行试验正常，使用说明和维保责任已交付",
        "无障碍设施符合要求，标识齐全",
        "安防、照明等设施全部可用",
    ),
    # 提升类: 公共服务设施、社区环境
    "enhancement": (
        "设施布局与公示方案一致，居民可正常使用",
        "绿化、铺装完成，苗木成活",
        "后续管理维护单位和费用已明确",
    ),
}


def default_checklist(category: str) -> list[str]:
    """The default lines for an item of this category: its own lines, then the common ones."""
    return [*BY_CATEGORY.get(category, ()), *COMMON]
