"""The roster's layout: the four sheets (or CSV files), their columns, which are required, and what identifies a row."""

from __future__ import annotations

from dataclasses import dataclass

UNITS = "单位"
CADRES = "干部"
HOUSEHOLDS = "农户"
PAIRINGS = "结对"
INSTRUCTIONS = "说明"


@dataclass(frozen=True)
class SheetLayout:
    """One sheet of the roster: its name, its columns in order, the required ones and the key column."""

    name: str
    columns: tuple[str, ...]
    required: tuple[str, ...]
    key: str  # the column a person recognises the header row by

    def is_required(self, column: str) -> bool:
        """True when the column must be filled on every row."""
        return column in self.required


SHEETS: tuple[SheetLayout, ...] = (
    SheetLayout(UNITS, ("单位编号", "单位名称", "上级单位编号", "单位类型"), ("单位编号", "单位名称"), "单位编号"),
    SheetLayout(CADRES, ("干部编号", "姓名", "手机号", "单位编号", "职务", "角色"), ("干部编号", "姓名", "单位编号"), "干部编号"),
    SheetLayout(
        HOUSEHOLDS,
        ("户编号", "户主姓名", "县市", "乡镇", "村", "人口", "联系电话", "备注", "经度", "纬度"),
        ("户编号", "户主姓名", "村"),
        "户编号",
    ),
    SheetLayout(PAIRINGS, ("结对类型", "联系方编号", "对象编号", "对象名称", "备注", "结对日期"), ("结对类型", "联系方编号"),
                "结对类型"),
)
SHEET_BY_NAME = {sheet.name: sheet for sheet in SHEETS}
