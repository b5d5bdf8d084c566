"""The command line: schema steps and their exit codes, reports in every format (Chinese
columns aligned), refusal of unknown logins. Real SQLite files, real processes."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from datetime import datetime

import pytest
from rich.cells import cell_len

from branchtui.cli import main
from branchtui.core.enums import AttendanceStatus, Obligation
from branchtui.reports import render_report
from branchtui.services import FixedClock, Services
from branchtui.store.db import open_database, upgrade
from tests.conftest import NOW
from tests.factories import build_world, draft


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "branchtui.cli", *args], capture_output=True,
                          text=True, timeout=120, env={"PATH": "/usr/bin:/bin",
                                                       "LANG": "C.UTF-8",
                                                       "HOME": "/tmp"})


def test_db_status_upgrade_and_refusal_of_an_old_schema(tmp_path):
    from branchtui.store.db import runner

    url = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    # A database left at the first migration, as an older release would have left it.
    db = open_database(url)
    runner(db).up(target="0001_initial")
    db.close()
    status = run_cli("--db", url, "db", "status")
    assert status.returncode == 3, status.stderr
    assert "已执行 1 个迁移" in status.stdout and "[ ] 0002_" in status.stdout
    # The app refuses to run on it rather than migrating on its own.
    refused = run_cli("--db", url, "report", "compliance")
    assert refused.returncode == 3
    assert "branchtui db upgrade" in refused.stderr and "0001_initial" in refused.stderr
    up = run_cli("--db", url, "db", "upgrade")
    assert up.returncode == 0 and "0002_" in up.stdout and "0001_initial" not in up.stdout
    assert run_cli("--db", url, "db", "status").returncode == 0


def test_unknown_login_is_refused_with_a_clear_message(tmp_path):
    url = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    db = open_database(url)
    upgrade(db)
    build_world(Services.create(db, FixedClock(NOW)))
    db.close()
    out = run_cli("--db", url, "report", "member")
    assert out.returncode == 4
    assert "未绑定任何党员" in out.stderr
    assert "Traceback" not in out.stderr
    en = run_cli("--lang", "en", "--db", url, "report", "member")
    assert "is not bound to any member" in en.stderr


def test_bad_period_is_a_message_not_a_traceback(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'x.sqlite3'}"
    db = open_database(url)
    upgrade(db)
    db.close()
    code = main(["--db", url, "report", "compliance", "--period", "2026-13"])
    err = capsys.readouterr().err
    assert code != 0 and err.strip() and "Traceback" not in err


@pytest.fixture
def world(tmp_path):
    db = open_database(f"sqlite:///{tmp_path / 'r.sqlite3'}")
    upgrade(db)
    clock = FixedClock(datetime(2026, 10, 9, 14))
    svc = Services.create(db, clock)
    w = build_world(svc)
    mtg = svc.meetings.schedule(w.secretary, draft(w, datetime(2026, 10, 9, 14),
                                                   Obligation.THEME_DAY,
                                                   Obligation.GENERAL_MEETING))
    svc.meetings.open(w.recorder, mtg.id)
    for mid in w.members:
        svc.meetings.mark(w.recorder, mtg.id, mid, AttendanceStatus.PRESENT)
    svc.meetings.close(w.recorder, mtg.id)
    clock.current = NOW
    yield w
    db.close()


def test_reports_in_every_format(world):
    svc, w = world.svc, world
    plain = render_report(svc, w.viewer, "compliance", period="2026-Q4")
    lines = plain.splitlines()
    assert "第一党支部" in plain and "第二党支部[/]" in plain
    # tabulate with wcwidth: every line of the table has the same width in cells.
    widths = {cell_len(line.rstrip()) for line in lines[:2]}
    assert len(widths) == 1 or max(widths) - min(widths) <= 2, lines[:3]
    gh = render_report(svc, w.viewer, "compliance", period="2026-Q4", fmt="github")
    assert gh.splitlines()[1].startswith("|-")
    rows = list(csv.reader(io.StringIO(render_report(svc, w.secretary, "attendance",
                                                     period="2026", fmt="csv"))))
    assert rows[0][0] == "姓名" and len(rows) == len(w.members) + 1
    data = json.loads(render_report(svc, w.member, "member", fmt="json"))
    assert data[0]["会议"].startswith("主题党日") and data[0]["出席情况"] == "出席"


def test_csv_neutralises_formulas(world):
    from branchtui.reports import render

    out = render(["a"], [["=cmd|' /C calc'!A0"], ["正常"]], "csv")
    assert "'=cmd" in out


def test_first_run_walks_through_setup_then_acts_as_the_os_user(tmp_path):
    import getpass

    url = f"sqlite:///{tmp_path / 'first.sqlite3'}"
    answers = "\n".join(["某某街道党工委[/]", "", "", "王书记", getpass.getuser(),
                         "2001-13-01", "2001-07-01"]) + "\n"
    out = subprocess.run([sys.executable, "-m", "branchtui.cli", "--db", url, "init"],
                         input=answers, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "日期格式不对" in out.stdout  # the bad date was asked again, not accepted
    assert "初始化完成" in out.stdout
    again = subprocess.run([sys.executable, "-m", "branchtui.cli", "--db", url, "init"],
                           input="", capture_output=True, text=True, timeout=120)
    assert again.returncode == 4 and "无需初始化" in again.stderr
    # The OS user is now the secretary: reports run as them.
    report = run_cli("--db", url, "report", "compliance")
    assert report.returncode == 0, report.stderr
    assert "第一党支部" in report.stdout


def test_options_work_after_the_subcommand_too(tmp_path):
    url = f"sqlite:///{tmp_path / 'demo.sqlite3'}"
    out = run_cli("demo", "--profile", "A", "--db", url, "--build-only")
    assert out.returncode == 0, out.stderr
    assert "党员 230 人" in out.stderr
    assert run_cli("db", "status", "--db", url).returncode == 0
    rep = run_cli("report", "compliance", "--db", url, "--as", "shangji", "--format", "github")
    assert rep.returncode == 0, rep.stderr
    assert rep.stdout.count("\n") >= 8  # 6 branches and the header


def test_a_session_process_does_not_load_the_ssh_stack():
    """A gateway session's app process never speaks SSH: what it takes from the gateway's
    side (branchtui.session) must not pull in asyncssh and cryptography (~9 MiB each)."""
    code = (
        "import sys\n"
        "import branchtui.cli, branchtui.session, branchtui.ui.app\n"
        "from branchtui.session import both, read_member_fd, take_controlling_tty\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('asyncssh', 'cryptography')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "[]", out.stdout


def _rights_changes(w) -> str:
    """A key with a hostile comment, then a new login for 孙党员: two audit entries."""
    from branchtui.services import MemberDraft
    from tests.conftest import HOSTILE_LINK
    from tests.services.test_branch_keys import key_line

    comment = "sun@laptop" + HOSTILE_LINK
    w.svc.roster.add_key(w.secretary, w.member.member_id, key_line(5, comment))
    mem = w.svc.roster.get_member(w.admin, w.member.member_id)
    w.svc.roster.update_member(w.secretary, mem.id, mem.version,
                               MemberDraft(name=mem.name, login="sun2"))
    return comment


def test_audit_report_reads_as_words_in_every_format(world):
    import re

    from branchtui.core.errors import PermissionDenied
    from branchtui.i18n import set_language

    svc, w = world.svc, world
    comment = _rights_changes(w)
    plain = render_report(svc, w.admin, "audit")
    lines = plain.splitlines()
    assert lines[0].split()[:3] == ["时间", "操作人", "操作"], lines[0]
    # Newest first, to the second, with the action and the change in words, not JSON.
    assert re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\s+张书记\s+更改登录名", lines[2]), lines[2]
    assert "登录名：dangyuan" in lines[2] and "登录名：sun2" in lines[2]
    assert "添加登录密钥" in lines[3] and comment in lines[3] and "{" not in plain
    # The upper level reads the same entries without naming its organisation.
    assert render_report(svc, w.viewer, "audit") == plain
    rows = list(csv.reader(io.StringIO(render_report(svc, w.viewer, "audit", fmt="csv"))))
    assert rows[0] == ["时间", "操作人", "操作", "党员", "组织", "变更前", "变更后"]
    assert rows[1][2] == "更改登录名" and rows[1][3] == "孙党员（老）"
    data = json.loads(render_report(svc, w.admin, "audit", fmt="json"))
    assert set(data[0]) == {"id", "at", "actor_id", "actor", "action", "member_id", "member",
                            "org_id", "org", "before", "after"}
    assert (data[0]["action"], data[0]["before"], data[0]["after"]) == (
        "member.login", {"login": "dangyuan"}, {"login": "sun2"})
    assert data[1]["action"] == "keys.add" and data[1]["before"] is None
    assert data[1]["after"]["comment"] == comment
    # Only that member's entries with --member.
    assert all(e["member_id"] == w.member.member_id for e in json.loads(
        render_report(svc, w.admin, "audit", member="sun2", fmt="json")))
    set_language("en")
    try:
        en = render_report(svc, w.admin, "audit", fmt="github")
        assert "login name changed" in en and "login: dangyuan" in en and "login: sun2" in en
        assert "login key added" in en and "| Time" in en.splitlines()[0]
    finally:
        set_language("zh")
    for refused in (w.secretary, w.member):
        with pytest.raises(PermissionDenied):
            render_report(svc, refused, "audit")


def test_audit_report_from_the_command_line_for_every_persona(tmp_path):
    """No traceback for anyone: the administrator and the upper level get a table, the
    others the refusal in their language and exit code 4."""
    url = f"sqlite:///{tmp_path / 'demo.sqlite3'}"
    assert run_cli("demo", "--db", url, "--build-only").returncode == 0
    for login in ("admin", "shangji"):
        out = run_cli("report", "audit", "--db", url, "--as", login)
        assert out.returncode == 0, out.stderr
        assert out.stdout.split()[:3] == ["时间", "操作人", "操作"], out.stdout
    for login in ("shuji", "dangyuan", "xiaozhibu"):
        out = run_cli("report", "audit", "--db", url, "--as", login)
        assert out.returncode == 4 and "Traceback" not in out.stderr
        assert "只有系统管理员和上级党组织可以查看权限变更记录" in out.stderr
    en = run_cli("--lang", "en", "report", "audit", "--db", url, "--as", "jilu")
    assert en.returncode == 4 and "Only the administrator" in en.stderr
    # The upper level has no branch of its own: the attendance report says so, no IndexError.
    att = run_cli("report", "attendance", "--db", url, "--as", "shangji")
    assert att.returncode == 4 and "Traceback" not in att.stderr, att.stderr
