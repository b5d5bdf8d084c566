"""Messages for compliance: period labels, period input errors, compliance reasons and
民主评议 (appraisal) checks."""

ZH: dict[str, str] = {
    # Period labels (branchtui.core.periods.PeriodSpan.label).
    "period.month": "{year}年{month}月",
    "period.quarter": "{year}年第{quarter}季度",
    "period.year": "{year}年度",
    # Period input.
    "period.bad": "无法识别的期间“{text}”。请按 2026-11（月）、2026-Q4（季度）或 2026（年度）的格式填写。",
    "period.out_of_range": "日期 {day} 超出可处理的范围。",
    # Why a compliance row does not apply.
    "compliance.reason.no_committee": "本支部未设支部委员会，不要求召开支委会。",
    "compliance.reason.before_active": "该期间早于本支部启用日期，不作要求。",
    # 民主评议.
    "appraisal.bad_grade": "党员 {member_id} 的评定等次“{value}”无效，应为优秀、合格、基本合格或不合格。",
    "appraisal.probationary_graded": "预备党员参加民主评议，但不评定等次。有 {count} 名预备党员被评定了等次，请取消。",
    "appraisal.excellent_over_cap": "本年度可评定等次的共 {graded} 人，评为优秀的最多 {cap} 人，现为 {excellent} 人，请调整。",
}

EN: dict[str, str] = {
    "period.month": "{year}-{month:02d}",
    "period.quarter": "{year} Q{quarter}",
    "period.year": "{year}",
    "period.bad": "Cannot read the period '{text}'. Use 2026-11 (a month), 2026-Q4 (a quarter) or 2026 (a year).",
    "period.out_of_range": "The date {day} is out of the supported range.",
    "compliance.reason.no_committee": "This branch has no branch committee, so no committee meetings are required.",
    "compliance.reason.before_active": "This period is before the branch started; nothing is required.",
    "appraisal.bad_grade": "'{value}' is not a valid grade for member {member_id}; use excellent, qualified, basically qualified or unqualified.",
    "appraisal.probationary_graded": "Probationary members take part in the appraisal but are not graded. {count} probationary member(s) were given a grade; remove it.",
    "appraisal.excellent_over_cap": "{graded} members can be graded this year, so at most {cap} may be 'excellent'; {excellent} are. Adjust the grades.",
}
