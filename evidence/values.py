"""Parsers for ledger cell values as people type them in Chinese offices.

Each parser takes the raw cell (str, number, bool, date or datetime) and returns the typed
value, ``None`` for an empty cell, or raises ``ValueError`` with a Chinese explanation.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable
from typing import Any

import yaml

# Full-width ASCII (０-９, ％, ：, ／, ．, Ａ-Ｚ ...) to half-width, and the ideographic space to a space.
_FULLWIDTH = {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}
EXCEL_EPOCH = dt.datetime(1899, 12, 30)
CST = dt.timezone(dt.timedelta(hours=8), "CST")  # China Standard Time: every time is compared on this clock
MAX_TYPED = 64  # a date, time, number or yes/no is never longer: longer text is refused before any pattern runs
MAX_NUMBER = 1e12  # counts, hours and amounts beyond this are typing errors
_NUMBER_RE = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d{1,3})?", re.ASCII)


def _typed_text(raw: Any, what: str) -> str:
    text = str(raw)
    if len(text) > MAX_TYPED:
        raise ValueError(f"无法识别的{what}(内容过长,{len(text)} 个字符)")
    return text


def clean(raw: Any) -> Any:
    """Normalise full-width characters and surrounding blanks; '' becomes None (for typed, non-text cells)."""
    if isinstance(raw, str):
        text = raw.strip() if raw.isascii() else raw.translate(_FULLWIDTH).strip()
        return text or None
    return raw


def clean_text(raw: Any) -> Any:
    """Text cells keep what people typed (full-width punctuation included); only surrounding blanks go."""
    if isinstance(raw, str):
        return raw.strip(" \t\r\n\u3000\xa0") or None
    return raw


def _excel_serial(value: float) -> dt.datetime:
    if not 1 <= value < 2958466:
        raise ValueError(f"Excel 日期序号 {value} 超出范围")
    return EXCEL_EPOCH + dt.timedelta(days=float(value))


_DATE_PATTERNS = [
    re.compile(r"^(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]?$"),
    re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
]
# Applied to text without blanks (see _time_from_text): no two adjacent optional blank runs, so matching is linear.
_TIME_RE = re.compile(
    r"^(?P<ampm>上午|下午|中午|晚上|凌晨)?(?P<h>\d{1,2})[:时点](?:(?P<m>\d{1,2})分?)?(?::?(?P<s>\d{1,2})秒?)?$"
)
# A time-zone suffix: Z, UTC/GMT, +08:00, +0800, +08, UTC+8
_ZONE_RE = re.compile(r"^(?P<time>.*?)(?:(?P<z>Z|UTC|GMT)|(?:UTC|GMT)?(?P<sign>[+-])(?P<hh>\d{1,2}):?(?P<mm>\d{2})?)$",
                      re.IGNORECASE)


def _date_from_text(text: str) -> dt.date:
    for pat in _DATE_PATTERNS:
        m = pat.match(text)
        if m:
            y, mo, d = (int(x) for x in m.groups())
            try:
                return dt.date(y, mo, d)
            except ValueError:
                raise ValueError(f"日期不存在:{y}年{mo}月{d}日") from None
    raise ValueError("无法识别的日期")


def _time_from_text(text: str) -> dt.time:
    m = _TIME_RE.match(re.sub(r"\s+", "", text))
    if not m:
        raise ValueError("无法识别的时间")
    hour = int(m.group("h"))
    minute = int(m.group("m") or 0)
    second = int(m.group("s") or 0)
    ampm = m.group("ampm")
    if ampm in ("下午", "晚上") and hour < 12:
        hour += 12
    if ampm == "凌晨" and hour == 12:
        hour = 0
    if not (0 <= hour <= 23 and 0 <= minute <= 59 and 0 <= second <= 59):
        raise ValueError("时间不存在")
    return dt.time(hour, minute, second)


def _local(value: dt.datetime) -> dt.datetime:
    """An aware datetime converted to China Standard Time (naive); a naive one is already local."""
    if value.tzinfo is not None and value.utcoffset() is not None:
        return value.astimezone(CST).replace(tzinfo=None)
    return value.replace(tzinfo=None)


def parse_date(raw: Any) -> dt.date | None:
    raw = clean(raw)
    if raw is None:
        return None
    if isinstance(raw, dt.datetime):
        return _local(raw).date()
    if isinstance(raw, dt.date):
        return raw
    if isinstance(raw, bool):
        raise ValueError("应为日期")
    if isinstance(raw, (int, float)):
        return _excel_serial(raw).date()
    text = _typed_text(raw, "日期")
    if len(text) == 10 and text[4] == "-" and text[7] == "-":
        try:
            return dt.date.fromisoformat(text)  # fast path for the most common form
        except ValueError:
            pass
    if re.fullmatch(r"\d{5}(\.\d+)?", text):
        return _serial_text(text).date()
    parts = re.split(r"\s+|T", text, maxsplit=1)
    if len(parts) > 1:  # a date with a time (and maybe a zone): the day on China Standard Time
        try:
            return parse_datetime(text).date()
        except ValueError:
            pass  # "2021-08-18 (周三)": the date part alone
    return _date_from_text(parts[0])


def _serial_text(text: str) -> dt.datetime:
    """An Excel serial typed as text (20218 is more likely a mistyped date than 1955-05-09): 2000-2100 only."""
    value = float(text)
    if not 36526 <= value < 73416:
        raise ValueError(f"无法识别的日期(「{text}」不是日期;作为 Excel 日期序号也不在 2000–2100 年内)")
    return _excel_serial(value)


def parse_datetime(raw: Any) -> dt.datetime | None:
    raw = clean(raw)
    if raw is None:
        return None
    if isinstance(raw, dt.datetime):
        return _local(raw)
    if isinstance(raw, dt.date):
        return dt.datetime(raw.year, raw.month, raw.day)
    if isinstance(raw, bool):
        raise ValueError("应为日期时间")
    if isinstance(raw, (int, float)):
        return _excel_serial(raw).replace(microsecond=0)
    text = _typed_text(raw, "日期时间")
    if re.fullmatch(r"\d{5}(\.\d+)?", text):
        return _serial_text(text).replace(microsecond=0)
    m = re.match(r"^(\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*[日号]?|\d{4}[-/.]\d{1,2}[-/.]\d{1,2})\s*T?\s*(.*)$", text)
    if not m:
        raise ValueError("无法识别的日期时间")
    day = _date_from_text(m.group(1).strip())
    rest = m.group(2).strip()
    if not rest:
        return dt.datetime(day.year, day.month, day.day)
    zone = _ZONE_RE.match(rest) if rest[-1:].isdigit() or rest[-1:].isalpha() else None
    offset = None
    if zone is not None and (zone.group("z") or zone.group("sign")) and zone.group("time").strip():
        rest = zone.group("time").strip()
        if zone.group("z"):
            offset = dt.timedelta(0)
        else:
            hours, minutes = int(zone.group("hh")), int(zone.group("mm") or 0)
            if hours > 14 or minutes > 59:
                raise ValueError("时区偏移不存在")
            offset = (1 if zone.group("sign") == "+" else -1) * dt.timedelta(hours=hours, minutes=minutes)
    local = dt.datetime.combine(day, _time_from_text(rest))
    if offset is not None:  # converted to China Standard Time, never dropped
        local = local.replace(tzinfo=dt.timezone(offset)).astimezone(CST).replace(tzinfo=None)
    return local


_TRUE = {"是", "√", "✓", "✔", "y", "yes", "true", "t", "1", "有", "已", "对"}
_FALSE = {"否", "×", "✗", "✘", "n", "no", "false", "f", "0", "无", "未", "不是"}


def parse_bool(raw: Any) -> bool | None:
    raw = clean(raw)
    if raw is None:
        return None
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, (int, float)) and raw in (0, 1):
        return bool(raw)
    text = _typed_text(raw, "是/否").lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError("应为 是/否")


def _number_text(raw: Any) -> str:
    return _typed_text(raw, "数字").replace(",", "").replace(",", "").replace(" ", "")


def _number(text: str, what: str) -> float:
    """Plain ASCII decimal notation only (no 1_0, no Arabic-Indic digits, no inf/nan), finite and bounded."""
    if not _NUMBER_RE.fullmatch(text):
        raise ValueError(f"应为{what}")
    value = float(text)
    if not math.isfinite(value) or abs(value) > MAX_NUMBER:
        raise ValueError("数值过大")
    return value


def _finite(value: int | float) -> int | float:
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError("应为有限数字(不能是无穷大或 NaN)")
    if abs(value) > MAX_NUMBER:
        raise ValueError("数值过大")
    return value


def parse_int(raw: Any) -> int | None:
    raw = clean(raw)
    if raw is None:
        return None
    if isinstance(raw, bool):
        raise ValueError("应为整数")
    if isinstance(raw, int):
        return _finite(raw)
    if isinstance(raw, float):
        if _finite(raw).is_integer():
            return int(raw)
        raise ValueError("应为整数")
    if not isinstance(raw, str):
        raise ValueError("应为整数")
    text = re.sub(r"(人|次|个|名|件|项|学时|小时|天|日)$", "", _number_text(raw))
    value = _number(text, "整数")
    if not value.is_integer():
        raise ValueError("应为整数")
    return int(value)


class WrittenPercent(float):
    """A number written with a percent sign ("95%" -> 0.95): never ambiguous when read as a share."""


yaml.SafeDumper.add_representer(WrittenPercent, yaml.SafeDumper.represent_float)  # dumps as the plain float it is


def parse_float(raw: Any) -> float | None:
    raw = clean(raw)
    if raw is None:
        return None
    if isinstance(raw, bool):
        raise ValueError("应为数字")
    if isinstance(raw, (int, float)):
        return float(_finite(raw))
    if not isinstance(raw, str):
        raise ValueError("应为数字")
    if raw.strip().endswith(("%", "%")):
        number = parse_float(raw.strip()[:-1])
        return None if number is None else WrittenPercent(round(number / 100, 10))
    text = re.sub(r"(学时|小时|天|日|元|万元)$", "", _number_text(raw))
    return _number(text, "数字")


def parse_percent(raw: Any) -> float | None:
    """'95%', '95 %', '0.95' and 95 (a number above 1) all mean 0.95."""
    raw = clean(raw)
    if raw is None:
        return None
    if isinstance(raw, str) and raw.endswith("%"):
        number = parse_float(raw[:-1])
        if number is not None and not 0 <= number <= 100:
            raise ValueError("百分比应在 0% 到 100% 之间")
        return None if number is None else round(number / 100, 10)
    number = parse_float(raw)
    if number is None:
        return None
    if number > 1:
        number = round(number / 100, 10)
    if not 0 <= number <= 1:
        raise ValueError("百分比应在 0% 到 100% 之间")
    return number


def parse_str(raw: Any) -> str | None:
    raw = clean_text(raw)
    if raw is None:
        return None
    if isinstance(raw, (list, tuple, dict, set, frozenset, bytes, bytearray)):
        raise ValueError("应为文本(不能是列表、映射或二进制内容)")
    if isinstance(raw, float) and not math.isfinite(raw):
        raise ValueError("应为文本")
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    if isinstance(raw, dt.datetime):
        return raw.isoformat(sep=" ")
    return str(raw)


PARSERS: dict[str, Callable[[Any], Any]] = {
    "str": parse_str,
    "enum": parse_str,
    "int": parse_int,
    "float": parse_float,
    "percent": parse_percent,
    "bool": parse_bool,
    "date": parse_date,
    "datetime": parse_datetime,
}

EXPECTED = {
    "str": "文本",
    "enum": "下列取值之一",
    "int": "整数",
    "float": "数字",
    "percent": "百分比(如 95% 或 0.95)",
    "bool": "是/否",
    "date": "日期(如 2021-08-18 或 2021年8月18日)",
    "datetime": "日期时间(如 2021-08-18 14:30)",
}
