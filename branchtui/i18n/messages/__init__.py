"""Catalogue parts, one module per area; each defines ``ZH`` and ``EN`` dicts."""

from branchtui.i18n.messages import (
    audit,
    cli,
    common,
    compliance,
    recurrence,
    rules,
    serve,
    services,
    ui,
    ui_attendance,
    ui_meetings,
    ui_members,
    ui_mine,
    ui_minutes,
    ui_orglife,
)

ALL = (common, rules, recurrence, compliance, services, cli, ui, ui_meetings, ui_attendance,
       ui_minutes, ui_orglife, ui_members, ui_mine, serve, audit)
