"""The blank roster workbook: the four sheets' headers (required ones in red) and a sheet of instructions."""

from __future__ import annotations

from pathlib import Path

from bot import vocabulary as v
from bot.roster.layout import INSTRUCTIONS, SHEETS
from bot.roster.report import RosterError

TEXT_COLUMNS = {"单位编号", "上级单位编号", "干部编号", "手机号", "户编号", "联系电话", "联系方编号", "对象编号"}
CHOICES = {"单位类型": v.UNIT_KINDS, "角色": v.ROLES, "结对类型": v.PAIRING_KINDS}

COLUMN_HELP = {
    "单位编号": "单位的唯一编号，如 U001。干部、结对表用它指向单位。",
    "单位名称": "单位全称。",
    "上级单位编号": "上级单位的编号（活动办可空）。上级单位须在本表或已导入的数据中。",
    "单位类型": f"{' / '.join(v.UNIT_KINDS)}；空着算基层党组织。",
    "干部编号": "干部的唯一编号，如 G001。",
    "姓名": "干部姓名。",
    "手机号": "11 位手机号；可带空格、短横线或 +86。用于干部绑定。",
    "职务": "可空。",
    "角色": f"{' / '.join(v.ROLES)}；空着算干部。",
    "户编号": "农户的唯一编号，如 H0001。",
    "户主姓名": "户主姓名。",
    "县市": "可空。",
    "乡镇": "可空。",
    "村": "农户所在村。",
    "人口": "家庭人口，1 到 50 的整数，可空。",
    "联系电话": "手机号，或带区号的固定电话，可空。",
    "备注": "可空。",
    "经度": "可空。农户所在位置的经度，十进制度数（WGS-84，手机定位给的就是），如 102.91；与纬度同填。"
          "用来判断走访照片的拍摄地点是否离村太远；不填则按该村以往走访的位置估计。",
    "纬度": "可空。农户所在位置的纬度，如 34.98；与经度同填。",
    "结对日期": "可空。结对开始的日期，如 2010-05-01。走访是否逾期从这一天算起（不早于活动开始）；"
            "不填则从第一次导入这条结对的那天算起。",
    "结对类型": f"{' / '.join(v.PAIRING_KINDS)}。",
    "联系方编号": "干部联户、领导联校、专家联点填干部编号；机关联村、党建带团建填单位编号。",
    "对象编号": "干部联户填农户的户编号；其他类型不填。",
    "对象名称": "机关联村填村名，领导联校填学校，专家联点填示范点，党建带团建填群团组织；干部联户不填。",
}

RULES = (
    "创先争优活动助手 · 花名册填写说明",
    "",
    "本工作簿有 单位、干部、农户、结对 四张表。请不要改动表名和第一行的列名；红色列名为必填列。",
    "也可以把四张表分别另存为 单位.csv、干部.csv、农户.csv、结对.csv（UTF-8 或 Excel 默认编码均可），放进同一个文件夹导入。",
    "导入：campaign-bot import 花名册.xlsx；只检查不写入：campaign-bot import 花名册.xlsx --dry-run",
    "任何一行有错，都会列出它所在的表、行号、列和原因，并且整个文件都不导入；改正后重新导入即可。",
    "同一个文件重复导入不会改变数据；改动后再导入，按编号更新对应的记录；文件里没有的记录保留不动。",
    "改正结对（如把某户改给另一名干部）后导入，会提示旧的结对仍然保留；加 --prune-pairings 重新导入即删除。",
    "结对按 结对类型 + 联系方编号 + 对象编号（或对象名称）识别：改了这三项之一就是一条新的结对。",
    "",
    "各列说明：",
)


def write_template(path: str | Path) -> None:
    """Writes an empty roster workbook at path: headers of the four sheets and the 说明 sheet; never over a file."""
    path = Path(path)
    if path.suffix.lower() != ".xlsx":
        raise RosterError(f"模板是 Excel 工作簿，文件名要以 .xlsx 结尾，例如 花名册.xlsx（现在是 {path.name}）。")
    if path.exists():  # it may be the roster a clerk has spent a week filling in
        raise RosterError(f"{path} 已经存在，没有覆盖。请换一个文件名，或先把原文件移走。")
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    workbook = Workbook()
    notes = workbook.active
    notes.title = INSTRUCTIONS
    for line in RULES:
        notes.append([line])
    for sheet in SHEETS:
        for column in sheet.columns:
            mark = "（必填）" if sheet.is_required(column) else ""
            notes.append([f"{sheet.name} · {column}{mark}", COLUMN_HELP[column]])
    notes["A1"].font = Font(bold=True, size=14)
    notes.column_dimensions["A"].width = 28
    notes.column_dimensions["B"].width = 90
    for sheet in SHEETS:
        ws = workbook.create_sheet(sheet.name)
        ws.append(list(sheet.columns))
        ws.freeze_panes = "A2"
        for index, column in enumerate(sheet.columns, start=1):
            letter = get_column_letter(index)
            cell = ws.cell(row=1, column=index)
            cell.font = Font(bold=True, color="C00000" if sheet.is_required(column) else "000000")
            cell.alignment = Alignment(horizontal="center")
            ws.column_dimensions[letter].width = 16 if column not in ("备注", "对象名称", "单位名称") else 28
            if column in TEXT_COLUMNS:  # so Excel keeps leading zeros and never shows a phone as 1.38E+10
                ws.column_dimensions[letter].number_format = "@"
            if column in CHOICES:
                rule = DataValidation(type="list", formula1=f'"{",".join(CHOICES[column])}"', allow_blank=True)
                rule.add(f"{letter}2:{letter}100000")
                ws.add_data_validation(rule)
    try:
        workbook.save(path)
    except OSError as exc:
        raise RosterError(f"写不了模板 {path}：{exc.strerror or exc}") from None
