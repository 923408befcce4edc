"""The audit log in words an admin reads: Chinese action and record names, and the
people, users and places a row names instead of their ids.

The rows themselves (server/records/audit.py) keep codes and ids, and sealed fields
are already redacted when written; this only adds names that every staff screen
shows anyway (a person's name, a user's display name, a region's name), never a
sealed value. Lives here because it reads every domain's models.
"""

import uuid

from sqlalchemy import select

from .. import scope
from ..beneficiaries.models import Beneficiary
from ..common.choices import REVIEW_STATUS, VISIT_TYPES
from ..contacts.models import ContactCard, ContactLog
from ..extensions import db
from ..health.models import HealthEvent, HealthFile
from ..mediation.models import MediationCase, MediationSession
from ..regions.models import Region
from ..users.models import User
from ..visits.models import Visit, VisitTask

ACTIONS = {
    "create": "新建", "update": "修改", "review": "审核", "delete": "删除",
    "resolve_conflict": "处理同步冲突", "move": "迁移", "upload": "上传照片",
    "login": "登录", "login_failed": "登录失败", "logout": "退出登录",
    "idle_logout": "超时自动退出", "login_throttled": "密码错误次数过多，暂停该地址登录",
    "login_refused": "登录被拒绝", "refresh_reuse": "旧登录凭证被重复使用（已强制退出）",
    "reauthenticate": "重新验证密码", "password_change": "修改密码",
    "read_id_number": "读取完整身份证号", "id_number_taken": "提示身份证号已登记",
    "export": "导出台账", "download_export": "下载台账",
    "print_card": "打印连心卡", "reissue_card": "补办连心卡", "issue_card_token": "发放连心卡二维码",
    "assign": "交办征求意见", "reply": "答复征求意见", "close": "办结征求意见",
    "remind": "催办提醒", "seed_demo": "载入演示数据",
    "rename": "更名", "import_regions": "导入区划", "bulk_create_liaisons": "批量建立联络员账号",
    "issue_enrollment": "打印联络员登录单", "revoke_enrollment": "作废登录单",
    "enroll": "扫登录单登录", "enroll_refused": "登录单被拒绝",
}
ENTITIES = {
    "beneficiary": "优抚对象", "visit": "走访记录", "visit_task": "走访任务",
    "visit_photo": "走访照片", "attachment": "照片", "health_file": "健康档案",
    "health_event": "健康事件", "mediation_case": "纠纷调解", "mediation_session": "调解记录",
    "contact_card": "连心卡", "contact_log": "联系记录", "feedback": "征求意见",
    "notification": "通知", "region": "地区", "user_account": "用户",
    "login_session": "登录", "export_job": "导出任务", "sync_conflict": "同步冲突",
    "enrollment_slip": "登录单",
}
FIELDS = {
    "token_hash": "二维码", "name": "姓名", "id_number": "身份证号", "phone": "电话",
    "address": "住址", "status": "状态", "summary": "走访情况", "needs": "诉求",
    "actions": "采取的措施", "visit_type": "走访类型", "visited_on": "走访日期",
    "review_status": "审核状态", "review_comment": "审核意见", "village_id": "村（居）",
    "region_id": "地区", "beneficiary_id": "优抚对象", "user_id": "用户",
    "liaison_id": "联络员", "reviewed_by_id": "审核人", "assigned_user_id": "交办给",
    "assigned_region_id": "交办地区", "township_id": "乡镇", "card_number": "卡号",
    "role": "角色", "display_name": "姓名", "active": "启用", "kind": "类型",
    "filters": "条件", "full_ids": "完整身份证号", "count": "条数", "rows": "行数",
    "ledger": "台账", "issued_on": "发卡日期",
}
VALUES = {"visit_type": VISIT_TYPES, "review_status": REVIEW_STATUS}
PEOPLE_FIELDS = ("beneficiary_id",)
REGION_FIELDS = ("village_id", "region_id", "township_id", "assigned_region_id")
USER_FIELDS = ("user_id", "liaison_id", "reviewed_by_id", "assigned_user_id")
# records named after the person they belong to
BY_PERSON = {"visit": Visit, "visit_task": VisitTask, "health_file": HealthFile,
             "health_event": HealthEvent, "mediation_case": MediationCase}


def action_choices(actor):
    """Every action the log holds, for the filter: [{code, label}]. Admins only."""
    scope.require_role(actor, "admin")
    return [{"code": code, "label": label} for code, label in ACTIONS.items()]


def _uuid(value):
    try:
        return uuid.UUID(str(value))
    except (TypeError, ValueError):
        return None


def _int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class _Names:
    """Names of the people, places and users a page of the log refers to, loaded in one
    query per kind."""

    def __init__(self, entries):
        self.people, self.regions, self.users = set(), set(), set()
        self.records = {}
        for entry in entries:
            for key, value in (entry.changes or {}).items() if isinstance(entry.changes, dict) else ():
                self._want(key, value)
            if entry.entity:
                self.records.setdefault(entry.entity, set()).add(entry.record_id)
            if entry.user_id:
                self.users.add(entry.user_id)
        self.record_names = self._record_names()
        self.people_names = self._load(Beneficiary, Beneficiary.name, self.people)
        self.region_names = self._load(Region, Region.name, self.regions)
        self.user_names = self._load(User, User.display_name, self.users)

    def _want(self, key, value):
        if key in PEOPLE_FIELDS and _uuid(value):
            self.people.add(_uuid(value))
        elif key in REGION_FIELDS and _uuid(value):
            self.regions.add(_uuid(value))
        elif key in USER_FIELDS and _int(value) is not None:
            self.users.add(_int(value))

    @staticmethod
    def _load(model, column, ids):
        if not ids:
            return {}
        return dict(db.session.execute(select(model.id, column).where(model.id.in_(ids))).all())

    def _record_names(self):
        names = {}
        for entity, ids in self.records.items():
            keys = {_uuid(i) for i in ids} - {None}
            if entity in BY_PERSON and keys:
                model = BY_PERSON[entity]
                rows = db.session.execute(
                    select(model.id, Beneficiary.name)
                    .join(Beneficiary, Beneficiary.id == model.beneficiary_id)
                    .where(model.id.in_(keys)))
                names.update({(entity, str(i)): name for i, name in rows})
            elif entity == "beneficiary" and keys:
                names.update({(entity, str(i)): n for i, n in self._load(
                    Beneficiary, Beneficiary.name, keys).items()})
            elif entity == "region" and keys:
                names.update({(entity, str(i)): n for i, n in self._load(
                    Region, Region.name, keys).items()})
            elif entity == "contact_card" and keys:
                rows = db.session.execute(
                    select(ContactCard.id, ContactCard.card_number, Beneficiary.name)
                    .join(Beneficiary, Beneficiary.id == ContactCard.beneficiary_id)
                    .where(ContactCard.id.in_(keys)))
                names.update({(entity, str(i)): f"{number}（{name}）" for i, number, name in rows})
            elif entity == "contact_log" and keys:
                rows = db.session.execute(
                    select(ContactLog.id, Beneficiary.name)
                    .join(ContactCard, ContactCard.id == ContactLog.card_id)
                    .join(Beneficiary, Beneficiary.id == ContactCard.beneficiary_id)
                    .where(ContactLog.id.in_(keys)))
                names.update({(entity, str(i)): name for i, name in rows})
            elif entity == "mediation_session" and keys:
                rows = db.session.execute(
                    select(MediationSession.id, Beneficiary.name)
                    .join(MediationCase, MediationCase.id == MediationSession.case_id)
                    .join(Beneficiary, Beneficiary.id == MediationCase.beneficiary_id)
                    .where(MediationSession.id.in_(keys)))
                names.update({(entity, str(i)): name for i, name in rows})
            elif entity == "user_account":
                users = {_int(i) for i in ids} - {None}
                names.update({(entity, str(i)): n for i, n in self._load(
                    User, User.display_name, users).items()})
        return names

    def value(self, key, value):
        if key in PEOPLE_FIELDS:
            return self.people_names.get(_uuid(value), value)
        if key in REGION_FIELDS:
            return self.region_names.get(_uuid(value), value)
        if key in USER_FIELDS:
            return self.user_names.get(_int(value), value)
        if key in VALUES and isinstance(value, str):
            return VALUES[key].get(value, value)
        return value


def _changes(changes, names):
    if not isinstance(changes, dict):
        return changes
    named = {}
    for key, value in changes.items():
        if isinstance(value, list) and len(value) == 2:  # [old, new] of an update
            value = [names.value(key, v) for v in value]
        else:
            value = names.value(key, value)
        named[FIELDS.get(key, key)] = value
    return named


def described(entries):
    """Each entry as the log shows it: its own fields, plus ``action_label``,
    ``entity_label``, ``record_label`` (whose record) and ``changes_named`` (field names
    in Chinese, ids as names; redacted values stay redacted)."""
    entries = list(entries)
    names = _Names(entries)
    for entry in entries:
        entry.action_label = ACTIONS.get(entry.action, entry.action)
        entry.entity_label = ENTITIES.get(entry.entity, entry.entity) if entry.entity else None
        entry.record_label = names.record_names.get((entry.entity, str(entry.record_id)))
        entry.user_label = names.user_names.get(entry.user_id)
        entry.changes_named = _changes(entry.changes, names)
    return entries
