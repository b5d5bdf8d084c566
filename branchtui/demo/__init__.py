"""Demo and benchmark data: a realistic 街道 with branches, members and years of meetings.

``build(db, "A", today=...)`` fills an empty, migrated database; see
:mod:`branchtui.demo.generate` for the profiles (DOMAIN.md §8) and the personas. The
generator is imported on first use only: opening an existing demo needs just the personas.
"""

from __future__ import annotations

from typing import Any

from branchtui.demo.personas import PERSONAS, is_demo

__all__ = ["PERSONAS", "PROFILES", "DemoSummary", "Profile", "build", "is_demo"]


def __getattr__(name: str) -> Any:
    if name in ("PROFILES", "DemoSummary", "Profile", "build"):
        from branchtui.demo import generate

        return getattr(generate, name)
    raise AttributeError(name)
