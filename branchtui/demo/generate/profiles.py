"""The sizes of the generated 街道 (DOMAIN.md §8) and what ``build`` reports."""

from __future__ import annotations

from dataclasses import field

from branchtui.core.frozen import frozen


@frozen
class Profile:
    """The size of a generated 街道 (DOMAIN.md §8).

    ``communities``/``branches``/``groups``/``members`` are totals (members counts every
    Member row ever, including upper-level viewers and those who left); ``years`` of
    history end with today's month. ``study_rate`` is the chance that a branch holds a
    separate monthly 党课/集中学习 sitting besides its 主题党日, ``general_rate`` the chance of
    a separate 党员大会 in the middle month of a quarter; ``content_months`` of recent
    meetings get full records (agenda, speeches, decisions), older ones with probability
    ``content_share``; ``org_life_rounds`` is how many recent 组织生活会 rounds get problem
    lists, criticism and rectification items (None: all)."""

    name: str
    communities: int
    branches: int
    groups: int
    members: int
    years: int
    exempt_share: float
    study_rate: float = 0.5
    general_rate: float = 0.0
    content_months: int = 2
    content_share: float = 0.02
    org_life_rounds: int | None = 2
    branch_sizes: tuple[int, ...] | None = None  # fixed sizes (profile A)
    group_counts: tuple[int, ...] | None = None


PROFILES: dict[str, Profile] = {
    "A": Profile(
        name="A",
        communities=1,
        branches=6,
        groups=15,
        members=230,
        years=3,
        exempt_share=0.10,
        study_rate=0.7,
        content_months=6,
        content_share=0.10,
        org_life_rounds=None,
        branch_sizes=(52, 58, 45, 38, 32, 3),
        group_counts=(3, 4, 3, 3, 2, 0),
    ),
    "B": Profile(
        name="B",
        communities=12,
        branches=120,
        groups=300,
        members=4000,
        years=5,
        exempt_share=0.14,
        study_rate=0.95,
        general_rate=0.9,
        content_months=2,
        content_share=0.02,
        org_life_rounds=2,
    ),
    "stress": Profile(
        name="stress",
        communities=60,
        branches=600,
        groups=1500,
        members=17000,
        years=10,
        exempt_share=0.14,
        study_rate=1.0,
        general_rate=1.0,
        content_months=1,
        content_share=0.005,
        org_life_rounds=1,
    ),
}


@frozen
class DemoSummary:
    """What ``build`` wrote: counts, wall time and the persona logins (role -> login)."""

    profile: str
    orgs: int
    members: int
    meetings: int
    attendance: int
    seconds: float
    personas: dict[str, str]
    rows: dict[str, int] = field(default_factory=dict)  # table name -> rows written
