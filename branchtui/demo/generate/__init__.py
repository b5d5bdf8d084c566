"""The demo and benchmark data generator (DOMAIN.md §8 profiles A, B and stress).

``build(db, profile, today=...)`` fills an empty, migrated database with one 街道党工委,
its 社区党委, branches, party groups, members with years of history, and the meetings of
"三会一课" with attendance, records and 组织生活会 rounds, all relative to ``today``.

By stage, in the order a build runs them:

- ``organisation``: the tree, branch sizes and habits, posts and committee terms;
- ``people``: members with their histories, the personas, viewers, ids and logins;
- ``meetings``: each branch's sittings (a 主题党日 series and the rest), numbered and
  staffed, then sitting by sitting ``attendance`` (the roll), ``content`` (agenda,
  speeches, votes, guests) and ``orglife`` (民主评议, criticism, 整改);
- ``finish``: the rights audit, the import's log entry, the summary.

They share a ``world.World`` (the profile, the days, the random stream, the plan of
``plan``); ``rows.Sink`` takes every row by field name, with its columns from the models.

How it stays fast and bounded:

- every id is assigned here, so nothing is read back while writing;
- rows are plain tuples, buffered per table and written with multi-row ``INSERT``s (or
  ``COPY``) in batches, many batches per transaction; a flush writes the tables in
  dependency order, and the generator only ever emits a row after the rows it references;
- attendance is streamed meeting by meeting; only the people, the memberships and one
  branch's meeting plan are held in memory.

The output depends only on the profile, ``seed`` and ``today`` (tests/store/test_generate.py
pins a digest of profile A; bench/demo_build.py compares every table with another revision).

Personas (fixed logins, for docs, demos and tests): ``admin`` (is_admin, member of branch
1), ``shuji`` (书记 of branch 1, which has a committee), ``jilu`` (组织委员 and recorder of
branch 1), ``dangyuan`` (an ordinary full member of branch 1 with open rectification items),
``yubei`` (a 预备党员 of branch 1), ``shangji`` (upper-level viewer at branch 1's 社区党委),
``jiedao`` (viewer at the 街道党工委) and ``xiaozhibu`` (书记 of the 3-member branch without
a committee). Branch 1 also holds a 党员 "near the six-month line" and one with more than
three unexcused absences this year.
"""

from __future__ import annotations

import time as _time
from collections.abc import Callable
from datetime import date

from peewee import Database

from branchtui.demo.generate import meetings, organisation, people
from branchtui.demo.generate.finish import finish
from branchtui.demo.generate.profiles import PROFILES, DemoSummary, Profile
from branchtui.demo.generate.world import World
from branchtui.demo.personas import PERSONA_LOGINS, PERSONAS, is_demo
from branchtui.store.models import ALL_MODELS, Org

__all__ = ["PERSONAS", "PERSONA_LOGINS", "PROFILES", "DemoSummary", "Profile", "build", "is_demo"]


def build(
    db: Database,
    profile: str = "A",
    *,
    today: date,
    seed: int = 20261127,
    progress: Callable[[str], None] | None = None,
) -> DemoSummary:
    """Fill the empty, migrated database ``db`` with the demo profile ``profile``.

    Deterministic for a given ``seed`` and ``today``. Raises ValueError for an unknown
    profile or when ``org`` already has rows. ``progress`` receives short status lines."""
    try:
        prof = PROFILES[profile]
    except KeyError:
        raise ValueError(
            f"unknown demo profile {profile!r}; choose one of {sorted(PROFILES)}"
        ) from None
    started = _time.perf_counter()
    report = progress or (lambda _msg: None)
    with db.bind_ctx(ALL_MODELS, bind_refs=False, bind_backrefs=False):
        if Org.select().exists():
            raise ValueError("the database already holds organisations; build needs an empty one")
        w = World(db, prof, today, seed, progress)
        plan(w)
        report(f"planned {len(w.people)} members in {len(w.branches)} branches")
        organisation.write_orgs(w)
        people.write_members(w)
        organisation.write_posts(w)
        w.sink.flush()
        report("organisations, members and posts written")
        meetings.write_branches(w)
        return finish(w, started)


def plan(w: World) -> None:
    """The organisation and its people, before anything is written (one random stream:
    the order of these steps is part of the output)."""
    organisation.plan_orgs(w)
    people.plan_people(w)
    organisation.plan_posts(w)
    people.plan_churn(w)
    people.plan_exemptions(w)
    people.assign_ids(w)
    organisation.resolve_posts(w)
