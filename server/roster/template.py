"""The roster template a clerk fills in (``roster template OUT.xlsx``,
``GET /api/v1/roster/template``): the header of INTERFACES.md, the ID number column
formatted as text (so Excel keeps all 18 characters), drop-downs for 性别, 优抚类别 and
外出务工, one example row, and a 说明 sheet in plain Chinese."""

from datetime import date

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from ..common.choices import BENEFICIARY_CATEGORIES
from ..common.idnumbers import IdNumber
from .columns import BY_KEY, TEMPLATE_KEYS

FILE_NAME = "优抚对象花名册模板.xlsx"
SHEET = "花名册"
TITLE = "优抚对象花名册"
TEXT = "@"
ROWS_FORMATTED = 5000  # rows given the text format and the drop-downs
WIDTHS = {"name": 10, "sex": 6, "id_number": 22, "birth_date": 12, "category": 18,
          "disability_grade": 9, "village_code": 15, "phone": 14, "address": 28,
          "is_migrant": 12, "notes": 24}
EXAMPLE = {"name": "张国强", "sex": "男", "birth_date": "1950-03-01", "category": "伤残军人",
           "disability_grade": 6, "village_code": "510822101201", "phone": "13800001111",
           "address": "城关镇某某村3组", "is_migrant": "否", "notes": "示例行，导入前请删除"}
INSTRUCTIONS = (
    ("怎么填", ""),
    ("1", "在“花名册”工作表第3行起，一人一行填写。第1行标题、第2行表头不要改动；示例行（第3行）导入前请删除。"),
    ("2", "姓名、身份证号、优抚类别、村（居）代码必填；其余可空。"),
    ("3", "身份证号：18位，最后一位可以是X。这一列已设为“文本”格式，请直接输入或粘贴为“值”，"
          "不要改成数字格式，否则Excel会把后几位变成0。"),
    ("4", "性别、出生日期可以不填，系统按身份证号自动得出；填了就必须与身份证号一致。"),
    ("5", "出生日期写成 1950-03-01，也可写 1950/3/1、19500301 或 1950年3月1日。"),
    ("6", "优抚类别从下拉列表中选择：" + "、".join(BENEFICIARY_CATEGORIES.values()) + "。"),
    ("7", "伤残等级只有伤残军人填写，填1到10（如“6”或“六级”）；伤残军人必须填写。"),
    ("8", "村（居）代码是12位统计用区划代码；也可以把这一列换成“乡镇（街道）”和“村（居）名称”两列。"),
    ("9", "外出务工选“是”或“否”；外出务工的请在“是”后写务工城市，如“是（广东东莞）”。"),
    ("10", "已故或迁出的人员，可加一列“状态”，填“已故”或“迁出”。"),
    ("11", "不要在格子里使用公式；有公式的请先复制，再“选择性粘贴→数值”。"),
    ("怎么导入", ""),
    ("1", "先点“检查”（试导入）：系统逐行检查，不会改动任何数据；有问题的行会标红，"
          "并在“错误说明”列写明原因，可下载后改好再上传。"),
    ("2", "检查无误后点“导入”：只导入没有问题的行。同一个人（身份证号相同）再次导入时，"
          "有变化的内容会更新，没有变化的不会改动；留空的格不会清除系统里已有的内容。"),
    ("3", "同一文件重复导入不会产生重复人员；导入中途断开，重新导入同一文件即可补全。"),
)


def build_template():
    book = Workbook()
    sheet = book.active
    sheet.title = SHEET
    keys = TEMPLATE_KEYS
    last = get_column_letter(len(keys))
    sheet.merge_cells(f"A1:{last}1")
    sheet["A1"] = TITLE
    sheet["A1"].font = Font(bold=True, size=14)
    sheet["A1"].alignment = Alignment(horizontal="center")
    header_fill = PatternFill("solid", start_color="FFDDEBF7", end_color="FFDDEBF7")
    for index, key in enumerate(keys, 1):
        cell = sheet.cell(2, index, BY_KEY[key].label)
        cell.font, cell.fill = Font(bold=True), header_fill
        sheet.column_dimensions[get_column_letter(index)].width = WIDTHS[key]
    example = {**EXAMPLE, "id_number": IdNumber.compose("510822", date(1950, 3, 1), 13).digits}
    for index, key in enumerate(keys, 1):
        sheet.cell(3, index, example[key])
    column_of = {key: get_column_letter(index) for index, key in enumerate(keys, 1)}
    last_row = ROWS_FORMATTED + 2
    for key in ("id_number", "village_code", "phone"):
        for row in range(3, last_row + 1):
            sheet[f"{column_of[key]}{row}"].number_format = TEXT
    for key, options, prompt in (
        ("sex", "男,女", "选择“男”或“女”；可不填，按身份证号得出"),
        ("category", ",".join(BENEFICIARY_CATEGORIES.values()), "从列表中选择优抚类别"),
        ("is_migrant", "是,否", "选择“是”或“否”；外出的可写“是（务工城市）”"),
    ):
        rule = DataValidation(type="list", formula1=f'"{options}"', allow_blank=True,
                              showDropDown=False, promptTitle=BY_KEY[key].label, prompt=prompt)
        rule.showInputMessage = True
        # 外出务工 also takes "是（广东东莞）": warn, do not refuse
        rule.errorStyle = "warning" if key == "is_migrant" else "stop"
        rule.error = f"请从列表中选择{BY_KEY[key].label}"
        rule.add(f"{column_of[key]}3:{column_of[key]}{last_row}")
        sheet.add_data_validation(rule)
    sheet.freeze_panes = "A3"
    notes = book.create_sheet("说明")
    notes.column_dimensions["A"].width = 10
    notes.column_dimensions["B"].width = 100
    for row, (first, text) in enumerate(INSTRUCTIONS, 1):
        notes.cell(row, 1, first)
        notes.cell(row, 2, text).alignment = Alignment(wrap_text=True, vertical="top")
        if not text:
            notes.cell(row, 1).font = Font(bold=True)
    return book


def write_template(target):
    build_template().save(target)
