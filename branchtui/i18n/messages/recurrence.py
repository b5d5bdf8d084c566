"""Messages for recurrence rules (branchtui.core.recurrence): validation errors and the
words that ``describe()`` assembles into a human wording of a rule.

Word families with numeric keys (``recurrence.weekday.<0-6>``, ``recurrence.month.<1-12>``,
``recurrence.nth.<±1..±53>``, ``recurrence.monthday.<±1..±31>``) are generated below, so that
both languages always cover the same range. Weekday numbers follow Python: 0 is Monday.
"""

from __future__ import annotations

# -- word families ---------------------------------------------------------------------------

_ZH_WEEKDAYS = ("星期一", "星期二", "星期三", "星期四", "星期五", "星期六", "星期日")
_EN_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

_EN_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)

_ZH_DIGITS = "零一二三四五六七八九"
_EN_ORDINAL_WORDS = {1: "first", 2: "second", 3: "third", 4: "fourth", 5: "fifth"}

NTH_MAX = 53  # BYDAY ordinals within a year run to ±53
MONTHDAY_MAX = 31


def _zh_number(n: int) -> str:
    """Chinese numeral for 1..99 (一, 十, 十一, 二十, 五十三)."""
    tens, ones = divmod(n, 10)
    if tens == 0:
        return _ZH_DIGITS[ones]
    head = "十" if tens == 1 else _ZH_DIGITS[tens] + "十"
    return head + (_ZH_DIGITS[ones] if ones else "")


def _en_ordinal(n: int) -> str:
    """English ordinal: first..fifth in words, then 6th, 21st, 22nd, 53rd."""
    if n in _EN_ORDINAL_WORDS:
        return _EN_ORDINAL_WORDS[n]
    teen = 10 <= n % 100 <= 20
    suffix = "th" if teen else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _zh_nth(n: int) -> str:
    if n == -1:
        return "最后一个"
    if n < 0:
        return f"倒数第{_zh_number(-n)}个"
    return f"第{_zh_number(n)}个"


def _en_nth(n: int) -> str:
    if n == -1:
        return "last"
    if n < 0:
        return f"{_en_ordinal(-n)}-to-last"
    return _en_ordinal(n)


def _zh_monthday(d: int) -> str:
    if d == -1:
        return "最后一天"
    if d < 0:
        return f"倒数第{-d}天"
    return f"{d}日"


def _en_monthday(d: int) -> str:
    if d == -1:
        return "the last day"
    if d < 0:
        return f"the {_en_ordinal(-d)}-to-last day"
    return f"day {d}"


_SIGNED_NTH = [n for n in range(-NTH_MAX, NTH_MAX + 1) if n]
_SIGNED_MONTHDAYS = [d for d in range(-MONTHDAY_MAX, MONTHDAY_MAX + 1) if d]

_ZH_FAMILIES: dict[str, str] = {
    **{f"recurrence.weekday.{i}": name for i, name in enumerate(_ZH_WEEKDAYS)},
    **{f"recurrence.month.{m}": f"{m}月" for m in range(1, 13)},
    **{f"recurrence.nth.{n}": _zh_nth(n) for n in _SIGNED_NTH},
    **{f"recurrence.monthday.{d}": _zh_monthday(d) for d in _SIGNED_MONTHDAYS},
}

_EN_FAMILIES: dict[str, str] = {
    **{f"recurrence.weekday.{i}": name for i, name in enumerate(_EN_WEEKDAYS)},
    **{f"recurrence.month.{m}": name for m, name in enumerate(_EN_MONTHS, start=1)},
    **{f"recurrence.nth.{n}": _en_nth(n) for n in _SIGNED_NTH},
    **{f"recurrence.monthday.{d}": _en_monthday(d) for d in _SIGNED_MONTHDAYS},
}

# The holidays of the chinesecalendar data (core.holidays keys them by the data's names).
_HOLIDAYS = {
    "new_years_day": ("元旦", "New Year's Day"),
    "spring_festival": ("春节", "Spring Festival"),
    "tomb_sweeping_day": ("清明节", "Qingming Festival"),
    "labour_day": ("劳动节", "Labour Day"),
    "dragon_boat_festival": ("端午节", "Dragon Boat Festival"),
    "national_day": ("国庆节", "National Day"),
    "mid_autumn_festival": ("中秋节", "Mid-Autumn Festival"),
    "anti_fascist_70th_day": ("抗战胜利70周年纪念日", "70th anniversary of the victory of 1945"),
}
_ZH_HOLIDAYS = {f"holiday.name.{key}": zh for key, (zh, _en) in _HOLIDAYS.items()}
_EN_HOLIDAYS = {f"holiday.name.{key}": en for key, (_zh, en) in _HOLIDAYS.items()}

# -- catalogue -------------------------------------------------------------------------------

ZH: dict[str, str] = {
    # validation errors (ValidationError keys)
    "recurrence.empty": "请填写重复规则。",
    "recurrence.too_long": "重复规则过长（{length} 个字符，最多 {max} 个）。",
    "recurrence.control_chars": "重复规则中含有换行、制表符等不可见的控制字符，请删除后重试。",
    "recurrence.bad_chars": "重复规则只能包含英文字母、数字和 ; = , + - 这几种符号。",
    "recurrence.syntax": "重复规则格式不正确：“{part}” 应写成 “名称=值” 的形式，各项之间用分号分隔。",
    "recurrence.unknown_part": "不支持的规则项 “{part}”。",
    "recurrence.duplicate_part": "规则项 “{part}” 出现了不止一次。",
    "recurrence.no_freq": "重复规则缺少频率（FREQ），例如 FREQ=MONTHLY。",
    "recurrence.bad_freq": "无法识别的频率 “{value}”，可用 YEARLY、MONTHLY、WEEKLY、DAILY。",
    "recurrence.too_frequent": "会议不能按小时、分钟或秒重复（{value}），请选择按天、周、月或年。",
    "recurrence.bad_value": "规则项 “{part}” 的值 “{value}” 无效。",
    "recurrence.part_not_allowed": "规则项 “{part}” 不能用于频率为 {freq} 的规则。",
    "recurrence.nth_not_allowed": "“第几个星期几”（如 1FR、-1SA）只能用于按月或按年的规则。",
    "recurrence.setpos_alone": "BYSETPOS 必须与其他 BY 规则项（如 BYDAY）一起使用。",
    "recurrence.count_and_until": "重复次数（COUNT）与截止日期（UNTIL）只能选一个。",
    "recurrence.until_utc": "截止时间（UNTIL）带有 UTC 标记 Z，但开始时间未设时区，请去掉末尾的 Z。",
    "recurrence.unparseable": "重复规则无法识别：{detail}",
    "recurrence.no_occurrence": "按此重复规则，从开始日期起 {years} 年内没有任何一次会议。",
    "recurrence.tz_mismatch": "查询时间与开始时间的时区设定不一致（一个带时区，一个不带）。",
    "recurrence.bad_param": "预设参数 “{name}” 的值 “{value}” 无效。",
    "recurrence.end_twice": "重复规则里已写了结束条件（COUNT 或 UNTIL），请不要再另设结束。",
    "recurrence.bad_count": "重复次数应为 1 到 {max} 之间的整数（现为 “{value}”）。",
    "recurrence.until_before_start": "截止日期 {until} 早于第一次会议（{start}）。",
    # describe(): period heads
    "recurrence.every.yearly": "每年",
    "recurrence.every.yearly_n": "每{n}年",
    "recurrence.every.monthly": "每月",
    "recurrence.every.monthly_n": "每{n}个月",
    "recurrence.every.weekly": "每周",
    "recurrence.every.weekly_n": "每{n}周",
    "recurrence.every.daily": "每天",
    "recurrence.every.daily_n": "每{n}天",
    "recurrence.every.quarterly": "每季度",
    # describe(): assembling the parts
    "recurrence.in_months": "{period}{months}",
    "recurrence.on": "{period}{selector}",
    "recurrence.on_in_months": "{period}的{selector}",
    "recurrence.on_every": "{period}的每个{days}",
    "recurrence.nth_weekday": "{nth}{weekday}",
    "recurrence.only_months": "{text}（仅限{months}）",
    "recurrence.only_days": "{text}（仅限{days}）",
    "recurrence.count": "{text}，共{n}次",
    "recurrence.count_once": "{text}，仅1次",
    "recurrence.until": "{text}，至{date}",
    "recurrence.until_time": "{text}，至{date} {time}",
    "recurrence.date": "{y}年{m}月{d}日",
    "recurrence.time_utc": "{time}（UTC）",
    "recurrence.sep": "、",
    "recurrence.sep_last": "、",
    "recurrence.custom": "自定义规则：{rule}",
    "recurrence.invalid": "无效的重复规则",
    # preset names (for pickers)
    "recurrence.preset.monthly_nth_weekday": "每月第几个星期几",
    "recurrence.preset.quarterly_last_weekday": "每季度最后一个星期几",
    "recurrence.preset.monthly_on_day": "每月固定日期",
    "recurrence.preset.monthly": "每月（按间隔）",
    "recurrence.preset.custom": "自定义规则",
    # title patterns of a series (branchtui.core.series)
    "series.unknown_placeholder": "标题中的 “{placeholder}” 无法识别；可用的占位符：{known}。",
    # holidays and 调休 working days (branchtui.core.holidays)
    "holiday.holiday": "{name}放假",
    "holiday.workday": "{name}调休上班",
    "holiday.statutory_only": "{text}（法定日期）",
    "holiday.no_data": "{years}年放假安排暂无数据：春节、清明、端午、中秋及调休日无法提示。",
    "holiday.year_sep": "、",
    **_ZH_HOLIDAYS,
    **_ZH_FAMILIES,
}

EN: dict[str, str] = {
    # validation errors (ValidationError keys)
    "recurrence.empty": "Please enter a recurrence rule.",
    "recurrence.too_long": "The recurrence rule is too long ({length} characters, at most {max}).",
    "recurrence.control_chars": "The recurrence rule contains control characters (line breaks, tabs and the like); please remove them.",
    "recurrence.bad_chars": "A recurrence rule may contain only letters, digits and the signs ; = , + -",
    "recurrence.syntax": "The recurrence rule is malformed: “{part}” should read NAME=VALUE, with parts separated by semicolons.",
    "recurrence.unknown_part": "Unsupported rule part “{part}”.",
    "recurrence.duplicate_part": "The rule part “{part}” appears more than once.",
    "recurrence.no_freq": "The recurrence rule has no frequency (FREQ), e.g. FREQ=MONTHLY.",
    "recurrence.bad_freq": "Unknown frequency “{value}”; use YEARLY, MONTHLY, WEEKLY or DAILY.",
    "recurrence.too_frequent": "Meetings cannot repeat by the hour, minute or second ({value}); choose daily, weekly, monthly or yearly.",
    "recurrence.bad_value": "The rule part “{part}” has an invalid value “{value}”.",
    "recurrence.part_not_allowed": "The rule part “{part}” cannot be used with frequency {freq}.",
    "recurrence.nth_not_allowed": "An ordinal weekday (such as 1FR or -1SA) can only be used in monthly or yearly rules.",
    "recurrence.setpos_alone": "BYSETPOS must be used together with another BY part (such as BYDAY).",
    "recurrence.count_and_until": "Give either a number of occurrences (COUNT) or an end date (UNTIL), not both.",
    "recurrence.until_utc": "The end time (UNTIL) is marked as UTC (Z) but the start time has no time zone; remove the trailing Z.",
    "recurrence.unparseable": "The recurrence rule cannot be understood: {detail}",
    "recurrence.no_occurrence": "This recurrence rule yields no meeting within {years} years of the start date.",
    "recurrence.tz_mismatch": "The query time and the start time disagree on time zones (one has a time zone, the other has none).",
    "recurrence.bad_param": "Invalid value “{value}” for the preset parameter “{name}”.",
    "recurrence.end_twice": "The rule already says when it ends (COUNT or UNTIL); do not set an end as well.",
    "recurrence.bad_count": "The number of sittings must be a whole number from 1 to {max} (not “{value}”).",
    "recurrence.until_before_start": "The end date {until} is before the first sitting ({start}).",
    # describe(): period heads
    "recurrence.every.yearly": "Every year",
    "recurrence.every.yearly_n": "Every {n} years",
    "recurrence.every.monthly": "Every month",
    "recurrence.every.monthly_n": "Every {n} months",
    "recurrence.every.weekly": "Every week",
    "recurrence.every.weekly_n": "Every {n} weeks",
    "recurrence.every.daily": "Every day",
    "recurrence.every.daily_n": "Every {n} days",
    "recurrence.every.quarterly": "Every quarter",
    # describe(): assembling the parts
    "recurrence.in_months": "{period} in {months}",
    "recurrence.on": "{period} on {selector}",
    "recurrence.on_in_months": "{period} on {selector}",
    "recurrence.on_every": "{period} on every {days}",
    "recurrence.nth_weekday": "the {nth} {weekday}",
    "recurrence.only_months": "{text} (only in {months})",
    "recurrence.only_days": "{text} (only on {days})",
    "recurrence.count": "{text}, {n} times",
    "recurrence.count_once": "{text}, once",
    "recurrence.until": "{text}, until {date}",
    "recurrence.until_time": "{text}, until {date} {time}",
    "recurrence.date": "{month} {d}, {y}",
    "recurrence.time_utc": "{time} UTC",
    "recurrence.sep": ", ",
    "recurrence.sep_last": " and ",
    "recurrence.custom": "Custom rule: {rule}",
    "recurrence.invalid": "Invalid recurrence rule",
    # preset names (for pickers)
    "recurrence.preset.monthly_nth_weekday": "Monthly on the nth weekday",
    "recurrence.preset.quarterly_last_weekday": "Quarterly on the last weekday",
    "recurrence.preset.monthly_on_day": "Monthly on a fixed day",
    "recurrence.preset.monthly": "Monthly (with interval)",
    "recurrence.preset.custom": "Custom rule",
    # title patterns of a series (branchtui.core.series)
    "series.unknown_placeholder": "“{placeholder}” in the title is not a placeholder; use {known}.",
    # holidays and 调休 working days (branchtui.core.holidays)
    "holiday.holiday": "{name}, a day off",
    "holiday.workday": "a working day in exchange for {name}",
    "holiday.statutory_only": "{text} (statutory date)",
    "holiday.no_data": "No holiday data for {years}: Spring Festival, Qingming, Dragon Boat, Mid-Autumn and swapped working days cannot be flagged.",
    "holiday.year_sep": ", ",
    **_EN_HOLIDAYS,
    **_EN_FAMILIES,
}
