"""The command line: schema steps and their exit codes, reports in every format (Chinese
columns aligned), refusal of unknown logins. Real SQLite files, real processes."""

from __future__ import annotations

import csv
import io
import json
import os
import pwd
import subprocess
import sys
from datetime import date, datetime

import pytest
from rich.cells import cell_len

from branchtui.cli import main
from branchtui.core.enums import AttendanceStatus, Obligation
from branchtui.reports import render_report
from branchtui.services import FixedClock, MemberDraft, Services
from branchtui.store.db import open_database, upgrade
from tests.conftest import NOW
from tests.core.test_sshkeys import ed25519_blob, line_of, rsa_blob
from tests.factories import GAPS_REASON, build_world, draft


def run_cli(*args: str, env: dict[str, str] | None = None,
            stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """The CLI in a fresh process, in a bare environment plus ``env``."""
    return subprocess.run([sys.executable, "-m", "branchtui.cli", *args], capture_output=True,
                          text=True, timeout=120, input=stdin,
                          env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": "/tmp",
                               **(env or {})})


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
    svc.meetings.close(w.recorder, mtg.id, gaps_reason=GAPS_REASON)
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


# -- who you are: the real uid, never the environment (issue 10, item 6) ----------------------

ME = pwd.getpwuid(os.getuid()).pw_name
# Every variable getpass.getuser() would believe, all claiming the branch secretary.
CLAIM_SHUJI = {"USER": "shuji", "LOGNAME": "shuji", "LNAME": "shuji", "USERNAME": "shuji"}
not_shuji = pytest.mark.skipif(ME == "shuji", reason="the tests run as an account named shuji")


@pytest.fixture
def site(tmp_path):
    """The small branch (build_world) in a file the CLI can open; yields (url, world)."""
    url = f"sqlite:///{tmp_path / 'site.sqlite3'}"
    db = open_database(url)
    upgrade(db)
    yield url, build_world(Services.create(db, FixedClock(NOW)))
    db.close()


@not_shuji
def test_user_and_logname_do_not_make_you_the_secretary(site, tmp_path):
    url, w = site
    shuji_key = w.svc.roster.add_key(w.secretary, w.secretary.member_id,
                                     line_of(ed25519_blob(1), "shuji@desk"))
    (tmp_path / "new.pub").write_text(line_of(ed25519_blob(2), "new"))
    for args in (("keys", "list", "shuji"), ("report", "member"),
                 ("keys", "add", "dangyuan", str(tmp_path / "new.pub"))):
        out = run_cli("--db", url, *args, env=CLAIM_SHUJI)
        # This account is bound to nobody: refused, and named by its real name.
        assert out.returncode == 4, (args, out.stdout, out.stderr)
        assert f"“{ME}” 未绑定任何党员" in out.stderr, (args, out.stderr)
        assert shuji_key.fingerprint not in out.stdout and "Traceback" not in out.stderr
    assert w.svc.roster.list_keys(w.admin, w.member.member_id) == []


@not_shuji
def test_init_offers_the_real_account_as_the_secretarys_login(tmp_path):
    url = f"sqlite:///{tmp_path / 'first.sqlite3'}"
    answers = "\n".join(["某某街道党工委", "", "", "王书记", "", "2001-07-01"]) + "\n"
    out = run_cli("--db", url, "init", env=CLAIM_SHUJI, stdin=answers)
    assert out.returncode == 0, out.stderr
    assert f"[{ME}]" in out.stdout and "[shuji]" not in out.stdout  # the offered default
    svc = Services.create(open_database(url))
    assert svc.roster.actor_for_login(ME).name == "王书记"


# -- branchtui keys add: one key, strong enough (issue 10, item 5) --------------------------


@pytest.fixture
def my_site(site):
    """The small branch, administered by the OS account that runs the tests, so that the
    CLI (acting as that account) may add keys."""
    url, w = site
    me = w.svc.roster.get_member(w.admin, w.admin.member_id)
    w.svc.roster.update_member(w.admin, me.id, me.version, MemberDraft(
        name=me.name, login=ME, admitted=me.admitted, full_since=me.full_since))
    return url, w


@pytest.mark.parametrize(("lang", "text", "words"), [
    ("zh", line_of(rsa_blob(1024), "old[/] [@click=app.quit]x[/]"),
     ("1024 位", "至少 2048 位", "ssh-keygen -t ed25519")),
    ("en", line_of(rsa_blob(1024), "old"), ("only 1024 bits", "ssh-keygen -t ed25519")),
    ("zh", "# two laptops\n" + line_of(ed25519_blob(1), "a") + "\n\n"
     + line_of(ed25519_blob(2), "b") + "\n", ("2 个", "第 2, 4 行")),
    ("en", line_of(ed25519_blob(1), "a") + "\n" + line_of(ed25519_blob(2), "b"),
     ("found 2 keys", "1, 2")),
    ("zh", "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjE=\n", ("这是私钥", ".pub")),
], ids=["rsa-1024", "rsa-1024-en", "two-keys", "two-keys-en", "private-key"])
def test_keys_add_refuses_weak_keys_and_several_keys(my_site, tmp_path, lang, text, words):
    url, w = my_site
    path = tmp_path / "key.pub"
    path.write_text(text)
    out = run_cli("--lang", lang, "--db", url, "keys", "add", "dangyuan", str(path))
    assert out.returncode == 4, (out.stdout, out.stderr)
    assert all(word in out.stderr for word in words), out.stderr
    assert "Traceback" not in out.stderr and not out.stdout
    assert w.svc.roster.list_keys(w.admin, w.member.member_id) == []


def test_keys_add_takes_one_good_key_and_says_when_the_file_cannot_be_read(my_site, tmp_path):
    url, w = my_site
    path = tmp_path / "key.pub"
    path.write_text("# dangyuan's laptop\n" + line_of(rsa_blob(2048), "laptop") + "\n")
    out = run_cli("--db", url, "keys", "add", "dangyuan", str(path), env=CLAIM_SHUJI)
    assert out.returncode == 0, out.stderr
    [key] = w.svc.roster.list_keys(w.admin, w.member.member_id)
    assert key.fingerprint in out.stdout and key.comment == "laptop"
    missing = run_cli("--db", url, "keys", "add", "dangyuan", str(tmp_path / "nope.pub"))
    assert missing.returncode == 4 and "无法读取公钥文件" in missing.stderr
    assert "Traceback" not in missing.stderr


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


# -- branchtui zone: an organisation's time zone (issue 11, item 14) ----------------------------


def test_zone_shows_sets_and_clears_an_organisation_s_time_zone(my_site):
    url, w = my_site
    shown = run_cli("--db", url, "zone", str(w.branch_id))
    assert shown.returncode == 0, shown.stderr
    assert "第一党支部" in shown.stdout and "Asia/Shanghai（沿用上级）" in shown.stdout
    set_ = run_cli("--db", url, "zone", str(w.branch_id), "Europe/Berlin")
    assert set_.returncode == 0 and "Europe/Berlin（本组织设置）" in set_.stdout, set_.stderr
    assert {o.id: o.time_zone for o in w.svc.roster.orgs(w.admin)}[w.branch_id] == \
        "Europe/Berlin"
    bad = run_cli("--lang", "en", "--db", url, "zone", str(w.branch_id), "Mars/Olympus")
    assert bad.returncode == 4 and "not a known time zone" in bad.stderr, bad.stderr
    back = run_cli("--lang", "en", "--db", url, "zone", str(w.branch_id), "--inherit")
    assert back.returncode == 0 and "Asia/Shanghai (inherited)" in back.stdout, back.stderr


# -- branchtui rules: an organisation's local rules (issue 12) --------------------------------


def test_rules_shows_sets_and_clears_an_organisation_s_rules_with_their_days(my_site):
    url, w = my_site
    shown = run_cli("--db", url, "rules", str(w.branch_id))
    assert shown.returncode == 0, shown.stderr
    assert "无（执行默认规则）" in shown.stdout and "自 " not in shown.stdout
    set_ = run_cli("--db", url, "rules", str(w.branch_id), '{"lapse_months": 4}',
                   "--from", "2001-01-01")
    assert set_.returncode == 0, set_.stderr
    assert "自 2001-01-01 起　第一党支部" in set_.stdout and "← 现行" in set_.stdout
    assert '{"lapse_months": 4}' in set_.stdout.splitlines()[-1]
    assert w.svc.roster.rules_for(w.branch_id, date(2001, 6, 1)).lapse_months == 4
    bad = run_cli("--lang", "en", "--db", url, "rules", str(w.branch_id), '{"lapse": 4}')
    assert bad.returncode == 4 and "Unknown rule “lapse”" in bad.stderr, bad.stderr
    usage = run_cli("--lang", "en", "--db", url, "rules", str(w.branch_id), "--from",
                    "2027-01-01")
    assert usage.returncode == 4 and "usage: branchtui rules" in usage.stderr
    cleared = run_cli("--lang", "en", "--db", url, "rules", str(w.branch_id), "--clear",
                      "--from", "2002-01-01")
    assert cleared.returncode == 0, cleared.stderr
    lines = cleared.stdout.splitlines()
    assert "none of its own" in lines[1] and "<- in force" not in cleared.stdout
    assert "nothing (the defaults)" in lines[-1]
    # The days before keep the rules they had.
    assert w.svc.roster.rules_for(w.branch_id, date(2001, 6, 1)).lapse_months == 4
