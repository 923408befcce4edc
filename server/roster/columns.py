"""The roster's columns: their names (and the other names ledgers give them), and how a
cell's raw value becomes a field's value, with a Chinese sentence when it cannot.

A value that cannot be read raises :class:`CellProblem`. Only the reading is done here;
what a valid person is (lengths, the phone's shape, the check digit, the birth date and
sex against the number, the grade only for disabled servicemen) is the beneficiary's
own schema and rules (server/beneficiaries/schemas.py), applied by the row check.
"""

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from ..common.choices import BENEFICIARY_CATEGORIES, BENEFICIARY_STATUS, SEX
from .reading import Formula, normalized_header


class CellProblem(Exception):
    def __init__(self, message):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Column:
    key: str
    label: str  # as the template writes it
    aliases: tuple = ()

    def names(self):
        return {normalized_header(name) for name in (self.label, *self.aliases)}


COLUMNS = (
    Column("name", "姓名"),
    Column("sex", "性别"),
    Column("id_number", "身份证号", ("公民身份号码", "身份证号码", "公民身份证号码", "身份证件号码")),
    Column("birth_date", "出生日期", ("出生年月日",)),
    Column("category", "优抚类别", ("类别", "优抚对象类别", "人员类别")),
    Column("disability_grade", "伤残等级"),
    Column("village_code", "村（居）代码", ("村代码", "村（社区）代码", "村（居）委会代码")),
    Column("village_name", "村（居）名称", ("村（居）", "村名称", "村（社区）", "村（社区）名称", "村")),
    Column("township_name", "乡镇（街道）", ("乡镇", "乡镇（街道）名称", "乡（镇、街道）", "乡镇街道")),
    Column("phone", "联系电话", ("电话", "手机号码", "联系方式", "手机")),
    Column("address", "住址", ("家庭住址", "现住址", "居住地址")),
    Column("is_migrant", "外出务工", ("是否外出务工",)),
    Column("work_city", "务工城市", ("务工地点",)),
    Column("notes", "备注"),
    Column("status", "状态", ("人员状态", "在册状态")),
)
BY_KEY = {column.key: column for column in COLUMNS}
# The template's columns, in INTERFACES.md's order.
TEMPLATE_KEYS = ("name", "sex", "id_number", "birth_date", "category", "disability_grade",
                 "village_code", "phone", "address", "is_migrant", "notes")
ID_LABELS = ("身份证号", "公民身份号码", "身份证号码")

_NAME_TO_KEY = {name: column.key for column in COLUMNS for name in column.names()}


def header_keys(texts):
    """{column key: 0-based index} of a row's normalized texts (the first of a name wins)."""
    found = {}
    for index, text in enumerate(texts):
        key = _NAME_TO_KEY.get(text)
        if key is not None and key not in found:
            found[key] = index
    return found


def is_header(texts):
    keys = header_keys(texts)
    return "name" in keys and "id_number" in keys


def header_missing_sentence():
    wanted = "、".join(BY_KEY[key].label for key in TEMPLATE_KEYS)
    return (f"没有找到花名册的表头：每个工作表的前30行里都没有同时写着“姓名”和"
            f"“{'/'.join(ID_LABELS)}”的一行。应有的列：{wanted}"
            f"（可用“村（居）名称”加“乡镇（街道）”代替“村（居）代码”）。请下载模板对照后重新上传")


def missing_columns(keys):
    """Why a header that names the person cannot be imported: a column it lacks."""
    problems = []
    if "category" not in keys:
        problems.append("“优抚类别”")
    if "village_code" not in keys and "village_name" not in keys:
        problems.append("“村（居）代码”（或“村（居）名称”）")
    if not problems:
        return None
    return f"表头缺少{'、'.join(problems)}列，请下载模板对照后重新上传"


# --- cells ----------------------------------------------------------------------------------

FORMULA = "该格是公式，请把公式转为数值（复制后“选择性粘贴→数值”）后重新上传"
ID_AS_NUMBER = ("身份证号被存成了数字，已丢失末尾几位（或X）：请把身份证号列设为文本格式后"
                "重新填写")
# full-width ASCII (digits, letters, signs) to half-width: NFKC for the ASCII block only,
# so an address keeps its Chinese punctuation
_HALF_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}
_HALF_WIDTH[0x3000] = 0x20


def half_width(text):
    return text.translate(_HALF_WIDTH)


def raw_text(value):
    """A cell as text (None for an empty one); a formula refused."""
    if value is None:
        return None
    if isinstance(value, Formula):
        raise CellProblem(FORMULA)
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return value.isoformat()
    text = half_width(str(value)).strip()
    return text or None


def plain(value):
    text = raw_text(value)
    return unicodedata.normalize("NFKC", text) if text else None


_SCIENTIFIC = re.compile(r"^[0-9.]+E\+?[0-9]+$", re.IGNORECASE)


def id_number(value):
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        raise CellProblem(ID_AS_NUMBER)
    text = plain(value)
    if text is None:
        return None
    text = re.sub(r"\s", "", text).lstrip("'`")
    if _SCIENTIFIC.match(text):
        raise CellProblem(ID_AS_NUMBER)
    return text.upper()


_DATE_PATTERNS = (
    re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日?$"),
)
DATE_FORMAT = "出生日期格式不对，请写成 1950-03-01（也可写 1950/3/1、19500301 或 1950年3月1日）"
EXCEL_EPOCH = date(1899, 12, 30)


def birth_date(value):
    if isinstance(value, Formula):
        raise CellProblem(FORMULA)
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool) \
            and 1 <= value < 100000 and float(value).is_integer():
        return EXCEL_EPOCH + timedelta(days=int(value))  # a date shown as a number
    text = plain(value)
    if text is None:
        return None
    text = re.sub(r"\s", "", text)
    text = re.sub(r"(\d)\s*00:00(:00)?$", r"\1", text)
    for pattern in _DATE_PATTERNS:
        match = pattern.match(text)
        if match:
            try:
                return date(*(int(part) for part in match.groups()))
            except ValueError:
                break
    raise CellProblem(DATE_FORMAT)


def _choice(labels, extra=None):
    table = {unicodedata.normalize("NFKC", label): code for code, label in labels.items()}
    table.update({code: code for code in labels})
    table.update(extra or {})
    return table


_SEXES = _choice(SEX, {"男性": "male", "女性": "female"})
_CATEGORIES = _choice(BENEFICIARY_CATEGORIES)
_STATUSES = _choice(BENEFICIARY_STATUS, {"正常": "active", "死亡": "deceased", "已死亡": "deceased",
                                         "已迁出": "moved", "": "active"})


def sex(value):
    text = plain(value)
    if text is None:
        return None
    if text not in _SEXES:
        raise CellProblem("性别请填“男”或“女”")
    return _SEXES[text]


def category(value):
    text = plain(value)
    if text is None:
        return None
    code = _CATEGORIES.get(re.sub(r"\s", "", text))
    if code is None:
        allowed = "、".join(BENEFICIARY_CATEGORIES.values())
        raise CellProblem(f"优抚类别“{text[:20]}”不是可选的类别（可选：{allowed}）")
    return code


def status(value):
    text = plain(value)
    if text is None:
        return None
    code = _STATUSES.get(text)
    if code is None:
        raise CellProblem("状态请填“在册”“已故”或“迁出”，或留空")
    return code


_GRADE_NUMERALS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8,
                   "九": 9, "十": 10}


def disability_grade(value):
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if float(value).is_integer():
            return int(value)
        raise CellProblem("伤残等级请填1到10级")
    text = plain(value)
    if text is None:
        return None
    match = re.fullmatch(r"(\d{1,2}|[一二三四五六七八九十])级?", text)
    if not match:
        raise CellProblem("伤残等级请填1到10级，如“6”或“六级”")
    part = match.group(1)
    return int(part) if part.isdigit() else _GRADE_NUMERALS[part]


def is_migrant(value):
    """(is migrant, work city or None): 是 / 否, or 是 with the city after it
    (“是（广东东莞）”, “是，东莞”)."""
    text = raw_text(value)
    if text is None:
        return None, None
    match = re.fullmatch(r"(是|否|Y|N|y|n|√|×)\s*[（(，,、：:]?\s*(.*?)\s*[)）]?", text)
    if not match:
        raise CellProblem("外出务工请填“是”或“否”（外出的可在“是”后写务工城市，如“是（广东东莞）”）")
    yes = match.group(1) in ("是", "Y", "y", "√")
    return yes, (match.group(2) or None) if yes else None


def code(value):
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = plain(value)
    return re.sub(r"\s", "", text) if text else None


def free_text(value):
    return raw_text(value)
