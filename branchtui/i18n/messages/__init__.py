"""Catalogue parts, one module per area; each defines ``ZH`` and ``EN`` dicts."""

from branchtui.i18n.messages import cli, common, compliance, recurrence, rules, services, ui

ALL = (common, rules, recurrence, compliance, services, cli, ui)
