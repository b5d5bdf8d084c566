"""Demo and benchmark data: a realistic 街道 with branches, members and years of meetings.

``build(db, "A", today=...)`` fills an empty, migrated database; see
:mod:`branchtui.demo.generate` for the profiles (DOMAIN.md §8) and the personas.
"""

from __future__ import annotations

from branchtui.demo.generate import PERSONAS, PROFILES, DemoSummary, Profile, build, is_demo

__all__ = ["PERSONAS", "PROFILES", "DemoSummary", "Profile", "build", "is_demo"]
