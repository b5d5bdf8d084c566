"""The home screen's load, measured in process (issue 3): CPU time of the first call in a
fresh process (what a start pays), of later calls (what a live reload pays), and the SQL
statements one load sends. The demo database is profile A, as the secretary.

    uv run python bench/home_load.py                          # this checkout
    uv run python bench/home_load.py --compare /path/to/other/checkout

With ``--compare`` the fresh-process runs alternate between the two checkouts (each on
PYTHONPATH), so that a noisy machine hits both alike; the ratio is this one ÷ the other.
In process, the noise is far smaller than in bench/startup.py's whole starts.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))
from startup import demo_db  # noqa: E402  (the same demo database as bench/startup.py)

CHILD = r'''
import json, sys, time
import textual.app, textual.widgets  # as in the app: Textual is imported first
import branchtui
assert branchtui.__file__.startswith(sys.argv[3]), (branchtui.__file__, sys.argv[3])
from branchtui.services import Services
from branchtui.store.db import open_database
import branchtui.ui.app, branchtui.ui.screens.home
db = open_database("sqlite:///" + sys.argv[1])
svc = Services.create(db)
actor = svc.roster.actor_for_login("shuji", via="demo")
statements = []
db.connection().set_trace_callback(statements.append)
t = time.process_time(); svc.home.load(actor); first = time.process_time() - t
db.connection().set_trace_callback(None)
warm = []
for _ in range(int(sys.argv[2])):
    t = time.process_time(); svc.home.load(actor); warm.append(time.process_time() - t)
print(json.dumps({"first": first, "warm": sorted(warm),
                  "statements": sum(1 for s in statements if s.lstrip().upper().startswith("SELECT"))}))
'''


def run(db: Path, checkout: Path, warm: int) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPATH"] = str(checkout)
    # Not from the checkout's directory: ``python -c`` puts the working directory first
    # on sys.path, ahead of PYTHONPATH.
    out = subprocess.run([sys.executable, "-c", CHILD, str(db), str(warm), str(checkout)],
                         env=env, cwd=db.parent, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--runs", type=int, default=12, help="fresh processes per checkout")
    p.add_argument("--warm", type=int, default=30, help="later loads per process")
    p.add_argument("--compare", type=Path, help="another checkout, interleaved")
    args = p.parse_args()
    db = demo_db(sys.executable)
    sides = {"this": ROOT.parent}
    if args.compare:
        sides["other"] = args.compare.resolve()
    for path in sides.values():  # one discarded run each: bytecode and code caches
        run(db, path, 1)
    results: dict[str, list[dict]] = {k: [] for k in sides}
    for _ in range(args.runs):
        for name, path in sides.items():
            results[name].append(run(db, path, args.warm))
    print("| checkout | first load, CPU median ms | later loads, CPU median ms | p10 ms "
          "| SELECTs per load |")
    print("|---|---|---|---|---|")
    med = {}
    for name, rows in results.items():
        first = statistics.median(r["first"] for r in rows) * 1000
        warm = [w for r in rows for w in r["warm"]]
        warm.sort()
        med[name] = (first, statistics.median(warm) * 1000)
        print(f"| {name} ({sides[name]}) | {first:.1f} | {med[name][1]:.1f} | "
              f"{warm[len(warm) // 10] * 1000:.1f} | {rows[0]['statements']} |")
    if "other" in med:
        pairs = sorted(a["first"] / b["first"] for a, b in
                       zip(results["this"], results["other"], strict=True))
        print(f"\nfirst load, this ÷ other: median of per-round ratios "
              f"{statistics.median(pairs):.2f}; later loads {med['this'][1] / med['other'][1]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
