"""What the stages of the generator share: the profile and its days, the main random
stream, the plan as it grows, and the sink the rows go to."""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable
from datetime import date, datetime, time, timedelta

from dateutil.relativedelta import relativedelta
from peewee import Database

from branchtui.demo import words as W
from branchtui.demo.generate.dates import month_start
from branchtui.demo.generate.plan import Branch, Person
from branchtui.demo.generate.profiles import Profile
from branchtui.demo.generate.rows import Sink

PLANNING_DAYS = 42  # planned meetings reach this far beyond today


class World:
    """The state of one build.

    The output depends only on the profile, ``seed`` and ``today``: ``rng`` is the one
    stream the planning stages draw from, and a few draws while writing (when committee
    terms start; names of candidates and guests, verification days of 整改 items); each
    branch's meetings draw from a stream of their own, seeded from ``seed`` and the branch
    (``meetings.write_branches``). So the order of the draws is part of the output."""

    small_branch: Branch
    lapsing: Person
    absentee: Person

    def __init__(
        self,
        db: Database,
        profile: Profile,
        today: date,
        seed: int,
        progress: Callable[[str], None] | None,
    ) -> None:
        self.profile = profile
        self.today = today
        self.now = datetime.combine(today, time(7, 30))  # the moment of the import
        self.rng = random.Random(seed)
        self.seed = seed
        self.progress = progress or (lambda _msg: None)
        self.sink = Sink(db)
        self.history_start = month_start(today) - relativedelta(months=profile.years * 12 - 1)
        self.horizon = today + timedelta(days=PLANNING_DAYS)
        self.setup_at = datetime.combine(self.history_start - timedelta(days=30), time(9, 0))
        self.lapse_cutoff = today - relativedelta(months=5) - timedelta(days=3)
        self.people: list[Person] = []  # index = id - 1
        self.branches: list[Branch] = []
        self.personas: dict[str, Person] = {}
        self.viewers: list[tuple[Person, int]] = []  # (person, org id)
        self.root_id = 0
        self.community_ids: list[int] = []
        self.community_names: list[str] = []
        self.org_count = 0
        self.failed_vote = False  # one failing 党员大会 vote is guaranteed (content)
        self.voted: set[int] = set()  # members whose admission vote is written
        # Leave approved for an upcoming meeting: (meeting, member, kind, by, at).
        self.approved_leave: list[tuple[int, int, str, int | None, datetime | None]] = []
        self._surname_weights = list(
            itertools.accumulate(1.0 / (i + 8) for i in range(len(W.SURNAMES)))
        )

    # -- draws from the main stream ------------------------------------------------------------

    def name(self, gender: str, birth_year: int) -> str:
        rng = self.rng
        if rng.random() < 0.01:
            surname = rng.choice(W.RARE_SURNAMES)
        else:
            surname = rng.choices(W.SURNAMES, cum_weights=self._surname_weights)[0]
        female = gender == "女"
        if birth_year < 1965 and rng.random() < 0.6:
            return surname + rng.choice(W.FEMALE_OLD if female else W.MALE_OLD)
        chars = W.FEMALE_CHARS if female else W.MALE_CHARS
        if rng.random() < 0.3:
            return surname + rng.choice(chars)
        first = rng.choice(W.NEUTRAL_CHARS) if rng.random() < 0.5 else rng.choice(chars)
        return surname + first + rng.choice(chars)

    def phone(self) -> str | None:
        rng = self.rng
        if rng.random() < 0.04:
            return None
        return rng.choice(W.PHONE_PREFIXES) + f"{rng.randrange(10**8):08d}"

    def random_day(self, lo: date, hi: date) -> date:
        if hi <= lo:
            return lo
        return lo + timedelta(days=self.rng.randint(0, (hi - lo).days))

    # -- looking up the plan -------------------------------------------------------------------

    def branch_by_org(self, org_id: int) -> Branch:
        return self.branches[org_id - self.branches[0].org_id]

    def person(self, member_id: int) -> Person:
        return self.people[member_id - 1]
