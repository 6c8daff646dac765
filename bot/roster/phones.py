"""Phone numbers as people type them (spaces, dashes, +86, full-width digits) made into plain digits, or refused."""

from __future__ import annotations

import re
import unicodedata

_DROP = str.maketrans("", "", " -‐‑–—()（）.\t\u3000")
_SEVERAL = re.compile(r"[,，;；/、]")
_SCIENTIFIC = re.compile(r"\d(\.\d+)?[eE]\+?\d+")  # 1.38E+10: what Excel writes for a long number in General format


class PhoneError(ValueError):
    """The text is not a phone number; the message says why, in Chinese."""


def _is_mobile(digits: str) -> bool:
    return len(digits) == 11 and digits[0] == "1" and digits.isdigit()


def normalise_phone(text: str, mobile_only: bool) -> str:
    """Plain digits: a mobile is 11 digits starting with 1; unless mobile_only, a landline with area code is allowed too."""
    if _is_mobile(text) and text.isascii():  # the common case, kept fast for large rosters
        return text
    if _SCIENTIFIC.fullmatch(text):
        raise PhoneError("被 Excel 存成了科学计数法，号码已经丢了位数：请把这一列设为“文本”格式，重新输入号码")
    if _SEVERAL.search(text):
        raise PhoneError("只能填一个号码")
    digits = unicodedata.normalize("NFKC", text).translate(_DROP)
    international = digits.startswith(("+86", "0086"))
    if international:
        digits = digits[3:] if digits[0] == "+" else digits[4:]
    elif len(digits) == 13 and digits.startswith("861"):
        digits, international = digits[2:], True
    if not (digits.isascii() and digits.isdigit()):
        raise PhoneError("除了数字、空格、短横线和 +86 以外不能有别的字符")
    if digits.startswith("1"):
        if len(digits) != 11:
            raise PhoneError(f"手机号应为 11 位数字，这里是 {len(digits)} 位")
        return digits
    if mobile_only:
        raise PhoneError("手机号应为以 1 开头的 11 位数字")
    if international and not digits.startswith("0"):
        digits = "0" + digits  # +86 941 … is dialled 0941 … at home (some write +86 0941 …: keep one 0)
    if digits.startswith("0") and 10 <= len(digits) <= 12:
        return digits
    if not digits.startswith("0") and len(digits) in (7, 8):
        return digits  # a local number without area code
    raise PhoneError("不像电话号码：手机号 11 位，固定电话请带区号（如 0941-8212345）")
