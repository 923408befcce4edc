"""Coded values and their Chinese labels. Codes go on the wire; labels go on screens and ledgers."""

REGION_LEVELS = {"county": "县", "township": "乡镇", "village": "村（居）"}

ROLES = {
    "liaison": "民政信息联络员",
    "township_officer": "乡镇民政干部",
    "county_officer": "县民政局干部",
    "admin": "系统管理员",
}
STAFF_ROLES = ("township_officer", "county_officer", "admin")

SEX = {"male": "男", "female": "女"}

BENEFICIARY_CATEGORIES = {
    "disabled_serviceman": "伤残军人",
    "martyr_family": "烈士遗属",
    "duty_death_family": "因公牺牲军人遗属",
    "illness_death_family": "病故军人遗属",
    "demobilized_veteran": "在乡老复员军人",
    "sick_returned_veteran": "带病回乡退伍军人",
    "war_test_veteran": "参战参试退役人员",
    "conscript_family": "义务兵家属",
    "retired_soldier": "退役士兵",
}

BENEFICIARY_STATUS = {"active": "在册", "deceased": "已故", "moved": "迁出"}

INSURANCE = {
    "rural_cooperative": "新农合（参合）",
    "urban_resident": "城乡居民医保",
    "employee": "职工医保",
    "public": "公费医疗",
    "none": "未参保",
}

HEALTH_EVENT_KINDS = {
    "illness": "生病",
    "hospital": "住院",
    "medical_aid": "医疗救助",
    "checkup": "体检",
}

VISIT_TYPES = {
    "monthly": "定时上门走访",
    "sick": "生病上门探望",
    "hardship": "困难上门帮扶",
    "mediation": "纠纷上门调解",
    "good_news": "立功上门报喜",
}

REVIEW_STATUS = {"pending": "待审核", "approved": "已审核", "returned": "已退回"}

HARDSHIP_KINDS = {"housing": "住房难", "medical": "看病难", "living": "生活难"}

MEDIATION_KINDS = {
    "family": "家庭",
    "neighbour": "邻里",
    "land": "土地",
    "labour": "劳资",
    "military_rights": "军人权益",
}

MEDIATION_STATUS = {
    "open": "已受理",
    "mediating": "调解中",
    "resolved": "已调解",
    "referred": "已移交",
}

CONTACT_CHANNELS = {
    "phone": "电话",
    "wechat": "微信",
    "sms": "短信",
    "visit": "当面",
    "other": "其他",
}

FEEDBACK_CATEGORIES = {
    "policy": "政策咨询",
    "rights": "维权求助",
    "employment": "就业创业",
    "suggestion": "意见建议",
    "other": "其他",
}

# The county's policy library (法规政策), by what a villager asks about.
POLICY_CATEGORIES = {
    "preferential": "优待抚恤",
    "medical": "医疗保障",
    "housing": "住房",
    "employment": "就业创业",
    "legal": "法律维权",
    "other": "其他",
}

FEEDBACK_STATUS = {
    "received": "已收到",
    "assigned": "办理中",
    "replied": "已答复",
    "closed": "已办结",
}

# where a feedback came from: a migrant's form (the public page, the API, a 连心卡 QR code)
# or a villager's opinion a liaison recorded on the phone (server/feedback/opinions.py)
FEEDBACK_SOURCES = {"form": "表单/连心卡", "liaison": "联络员收集"}

# why a public form is kept but marked for staff (server/feedback/abuse.py)
FEEDBACK_SUSPECTED = {"honeypot": "疑似机器提交", "duplicate": "疑似重复提交"}

TASK_KINDS = {"monthly": "每月走访", "follow_up": "跟进回访", "revisit": "病后复访"}
TASK_STATUS = {"due": "待走访", "done": "已完成", "overdue": "已逾期"}

ALL = {
    "region_levels": REGION_LEVELS,
    "roles": ROLES,
    "sex": SEX,
    "beneficiary_categories": BENEFICIARY_CATEGORIES,
    "beneficiary_status": BENEFICIARY_STATUS,
    "insurance": INSURANCE,
    "health_event_kinds": HEALTH_EVENT_KINDS,
    "visit_types": VISIT_TYPES,
    "review_status": REVIEW_STATUS,
    "hardship_kinds": HARDSHIP_KINDS,
    "mediation_kinds": MEDIATION_KINDS,
    "mediation_status": MEDIATION_STATUS,
    "contact_channels": CONTACT_CHANNELS,
    "feedback_categories": FEEDBACK_CATEGORIES,
    "feedback_status": FEEDBACK_STATUS,
    "feedback_suspected": FEEDBACK_SUSPECTED,
    "feedback_sources": FEEDBACK_SOURCES,
    "task_kinds": TASK_KINDS,
    "task_status": TASK_STATUS,
    "policy_categories": POLICY_CATEGORIES,
}
