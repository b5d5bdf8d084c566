"""Catalogue parts, one module per area; each defines ``ZH`` and ``EN`` dicts."""

from branchtui.i18n.messages import common, compliance, recurrence, rules, services

ALL = (common, rules, recurrence, compliance, services)
