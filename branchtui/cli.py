"""The ``branchtui`` command: run the app, manage the schema, build demo data, print reports.

    branchtui [--db URL] [--lang zh|en]           open the app as the OS user's member
    branchtui init                                 first run: schema, organisation, secretary
    branchtui db upgrade | status                  schema (an admin step)
    branchtui demo [--profile A|B|stress] [--db URL] [--build-only] [--fresh] [--as ROLE]
    branchtui report compliance|attendance|member|audit  tables (plain, github, csv, json)
    branchtui keys add|list|remove                 SSH public keys of members
    branchtui zone ORG [NAME | --inherit]          an organisation's time zone
    branchtui rules ORG [JSON | --clear] [--from DAY]  its local rules, with their dates
    branchtui serve --host-key PATH [--port 2222]  the SSH gateway (one app process per session)
    branchtui login                                for OpenSSH's ForceCommand
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from branchtui.core.errors import BranchError
from branchtui.i18n import detect_language, set_language, t

EXIT_OK, EXIT_ERROR, EXIT_SCHEMA, EXIT_REFUSED = 0, 1, 3, 4
#: How long a hung-up app waits for its drafts to be saved before it leaves anyway: less
#: than the gateway's grace time (serve.GRACE_SECONDS), so that it leaves on its own.
HANGUP_SAVE_SECONDS = 4.0


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="branchtui", description=t("cli.description"))
    p.add_argument("--db", help=t("cli.opt_db"))
    p.add_argument("--lang", choices=("zh", "en"), help=t("cli.opt_lang"))
    # The same options after the subcommand (``branchtui demo --db URL``); SUPPRESS keeps
    # a value given before the subcommand when it is not repeated after it.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--db", default=argparse.SUPPRESS, help=t("cli.opt_db"))
    common.add_argument("--lang", choices=("zh", "en"), default=argparse.SUPPRESS,
                        help=t("cli.opt_lang"))
    sub = p.add_subparsers(dest="command")

    sub.add_parser("run", parents=[common], help=t("cli.cmd_run"))
    sub.add_parser("init", parents=[common], help=t("cli.cmd_init"))

    db = sub.add_parser("db", parents=[common], help=t("cli.cmd_db"))
    db.add_argument("action", choices=("upgrade", "status"))

    demo = sub.add_parser("demo", parents=[common], help=t("cli.cmd_demo"))
    demo.add_argument("--profile", default="A", choices=("A", "B", "stress"))
    demo.add_argument("--build-only", action="store_true", help=t("cli.opt_build_only"))
    demo.add_argument("--fresh", action="store_true", help=t("cli.opt_fresh"))
    demo.add_argument("--as", dest="as_role", help=t("cli.opt_as"))
    demo.add_argument("--seed", type=int, default=20261127)

    rep = sub.add_parser("report", parents=[common], help=t("cli.cmd_report"))
    rep.add_argument("kind", choices=("compliance", "attendance", "member", "audit"))
    rep.add_argument("--org", type=int, help=t("cli.opt_org"))
    rep.add_argument("--period", help=t("cli.opt_period"))
    rep.add_argument("--member", help=t("cli.opt_member"))
    rep.add_argument("--format", default="plain", choices=("plain", "github", "csv", "json"))
    rep.add_argument("--as", dest="as_login", help=t("cli.opt_as_login"))

    keys = sub.add_parser("keys", parents=[common], help=t("cli.cmd_keys"))
    keys.add_argument("action", choices=("add", "list", "remove"))
    keys.add_argument("target", nargs="?", help=t("cli.opt_key_target"))
    keys.add_argument("keyfile", nargs="?", help=t("cli.opt_keyfile"))

    zone = sub.add_parser("zone", parents=[common], help=t("cli.cmd_zone"))
    zone.add_argument("org", type=int, help=t("cli.opt_zone_org"))
    zone.add_argument("name", nargs="?", help=t("cli.opt_zone_name"))
    zone.add_argument("--inherit", action="store_true", help=t("cli.opt_zone_inherit"))

    rules = sub.add_parser("rules", parents=[common], help=t("cli.cmd_rules"))
    rules.add_argument("org", type=int, help=t("cli.opt_zone_org"))
    rules.add_argument("overrides", nargs="?", help=t("cli.opt_rules_json"))
    rules.add_argument("--clear", action="store_true", help=t("cli.opt_rules_clear"))
    rules.add_argument("--from", dest="starts", type=date.fromisoformat,
                       help=t("cli.opt_rules_from"))

    serve = sub.add_parser("serve", parents=[common], help=t("serve.cmd_serve"))
    serve.add_argument("--host", default="127.0.0.1", help=t("serve.opt_host"))
    serve.add_argument("--port", type=int, default=2222, help=t("serve.opt_port"))
    serve.add_argument("--host-key", required=True, type=Path, help=t("serve.opt_host_key"))
    serve.add_argument("--idle-timeout", type=float, default=1800.0, help=t("serve.opt_idle"))
    serve.add_argument("--max-sessions", type=int, default=100, help=t("serve.opt_max"))
    serve.add_argument("--max-per-member", type=int, default=3,
                       help=t("serve.opt_max_per_member"))
    serve.add_argument("--max-unauthenticated", type=int, default=64,
                       help=t("serve.opt_max_unauth"))
    serve.add_argument("--login-grace", type=float, default=30.0,
                       help=t("serve.opt_login_grace"))
    sub.add_parser("login", parents=[common], help=t("serve.cmd_login"))
    return p


def _session_parser() -> argparse.ArgumentParser:
    """The gateway's private entry (not listed in --help): ``_session --member-fd N``."""
    p = argparse.ArgumentParser(prog="branchtui _session", add_help=False)
    p.add_argument("--db", required=True)
    p.add_argument("--lang", choices=("zh", "en"))
    p.add_argument("--member-fd", type=int, required=True)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    # Language first, so that --help is already in the user's language.
    raw = list(sys.argv[1:] if argv is None else argv)
    lang = None
    if "--lang" in raw and raw.index("--lang") + 1 < len(raw):
        lang = raw[raw.index("--lang") + 1]
    set_language(detect_language(lang))
    if raw[:1] == ["_session"]:
        return _session(_session_parser().parse_args(raw[1:]))
    args = _parser().parse_args(raw)
    try:
        return _dispatch(args)
    except BranchError as exc:
        print(exc.message(), file=sys.stderr)
        return EXIT_SCHEMA if exc.key.startswith("error.schema") else EXIT_REFUSED
    except KeyboardInterrupt:
        return 130


def _dispatch(args: argparse.Namespace) -> int:
    from branchtui.store.db import resolve_url

    command = args.command or "run"
    if command == "demo":
        return _demo(args)
    url = resolve_url(args.db)
    if command == "db":
        return _db(args.action, url)
    if command == "init":
        return _init(url)
    if command == "report":
        return _report(args, url)
    if command == "keys":
        return _keys(args, url)
    if command == "zone":
        return _zone(args, url)
    if command == "rules":
        return _rules(args, url)
    if command == "serve":
        from branchtui.serve import run

        return run(url, args.host, args.port, args.host_key, idle_timeout=args.idle_timeout,
                   max_sessions=args.max_sessions, max_per_member=args.max_per_member,
                   max_unauthenticated=args.max_unauthenticated,
                   login_grace=args.login_grace, lang=getattr(args, "lang", None))
    if command == "login":
        return _login(args)
    return _run(url)


def _open_checked(url: str):  # -> Database
    """Open the store and refuse an out-of-date schema (never migrates on its own)."""
    from branchtui.store.db import check_schema, open_database

    db = open_database(url)
    with db.connection_context():
        check_schema(db)
    return db


def _db(action: str, url: str) -> int:
    from branchtui.store.db import open_database, schema_status, upgrade

    db = open_database(url)
    with db.connection_context():
        if action == "upgrade":
            done = upgrade(db)
            print(t("cli.db_upgraded", n=len(done), names=", ".join(done) or "-"))
            return EXIT_OK
        applied, pending, unknown = schema_status(db)
        print(t("cli.db_status", url=_safe_url(url), applied=len(applied),
                pending=len(pending), current=(applied or ["-"])[-1]))
        for name in pending:
            print("  [ ] " + name)
        for name in unknown:
            print("  [?] " + name)
        return EXIT_SCHEMA if pending or unknown else EXIT_OK


def _safe_url(url: str) -> str:
    """The URL without a password, for messages."""
    from urllib.parse import urlparse

    p = urlparse(url)
    if p.password:
        return url.replace(f":{p.password}@", ":***@")
    return url


def _is_fresh(db) -> bool:
    from branchtui.store.db import schema_status

    applied, _pending, unknown = schema_status(db)
    return not applied and not unknown


def _init(url: str) -> int:
    """First run: create the schema, the organisation and its first secretary, asking in
    the terminal. Refused when the database already holds an organisation."""
    from branchtui.services import MemberDraft, Services
    from branchtui.store.db import open_database, upgrade

    db = open_database(url)
    with db.connection_context():
        if _is_fresh(db):
            upgrade(db)
    db = _open_checked(url)
    svc = Services.create(db)
    if not svc.roster.is_empty():
        print(t("cli.init_done_already"), file=sys.stderr)
        return EXIT_REFUSED
    print(t("cli.init_welcome"))
    org = _ask(t("cli.ask_org"), t("cli.ask_org_default"))
    branch = _ask(t("cli.ask_branch"), t("cli.ask_branch_default"))
    name = _ask(t("cli.ask_secretary"), None)
    login = _ask(t("cli.ask_login"), os_login())
    admitted = _ask_date(t("cli.ask_admitted"))
    actor = svc.roster.bootstrap(org, branch, MemberDraft(name=name, login=login,
                                                          admitted=admitted,
                                                          full_since=admitted))
    print(t("cli.init_ok", name=actor.name, login=actor.login or "-"))
    return EXIT_OK


def _ask(prompt: str, default: str | None) -> str:
    while True:
        suffix = f" [{default}]" if default else ""
        value = input(f"{prompt}{suffix}: ").strip()
        if value:
            return value
        if default:
            return default
        print(t("cli.ask_required"))


def _ask_date(prompt: str) -> date | None:
    while True:
        value = input(f"{prompt} (YYYY-MM-DD): ").strip()
        if not value:
            return None
        try:
            return date.fromisoformat(value)
        except ValueError:
            print(t("cli.bad_date", value=value))


def os_login() -> str:
    """The name of the account this process runs as, from its real uid.

    Never ``getpass.getuser()``: it believes LOGNAME, USER, LNAME and USERNAME first, so
    ``USER=shuji branchtui ...`` would act as shuji; and over OpenSSH a client may be able
    to set them (AcceptEnv, ~/.ssh/environment)."""
    import pwd

    uid = os.getuid()
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:  # a uid without a passwd entry (some containers): nobody to act as
        raise BranchError("cli.no_os_account", uid=uid) from None


def _local_actor(svc):  # -> Actor
    """The member whose login is the OS user; anyone else is refused clearly."""
    # Never an environment variable or an argument: the identity is the OS account.
    return svc.roster.actor_for_login(os_login(), via="local")


def _run(url: str) -> int:
    from branchtui.services import Services
    from branchtui.store.db import open_database

    db = open_database(url)
    with db.connection_context():
        fresh = _is_fresh(db)
    if fresh:
        print(t("cli.first_run"), file=sys.stderr)
        return _init(url) or _run(url)
    db = _open_checked(url)
    svc = Services.create(db)
    if svc.roster.is_empty():
        return _init(url) or _run(url)
    actor = _local_actor(svc)
    return _launch(svc, actor, url=url)


def _launch(svc, actor, personas: dict[str, str] | None = None,
            url: str | None = None, *, exit_on_hangup: bool = False) -> int:
    from branchtui.ui.app import BranchApp

    app = BranchApp(svc, actor, personas=personas, db_url=url)
    hung_up: list[int] = []
    if exit_on_hangup:
        _exit_on_hangup(app, hung_up)
    app.run()
    if hung_up:
        return 128 + hung_up[0]  # as if killed by the signal, but after a clean exit
    return app.return_code or 0


def _exit_on_hangup(app, hung_up: list[int]) -> None:
    """SIGHUP/SIGTERM: the SSH client went away, or the gateway is stopping. The terminal
    is gone (or about to be), so nothing on it is worth drawing or tidying: save what the
    screens hold that is not in the database yet (drafts), then leave at once.

    Not a clean Textual exit: that costs about half a second of CPU (unmounting every
    widget, joining the input thread, tearing down the interpreter), which on a loaded
    machine is many seconds (110 logins at once: over 5 s, and the gateway killed apps
    before their drafts were saved). The save runs on a thread started here in advance
    (starting one inside a signal handler could wait for a lock the interrupted code
    holds), with a database connection of its own, while the main thread waits in the
    handler: the event loop stands still, so the save neither races the screens nor
    shares the interpreter with them. A second signal (the gateway's SIGTERM after its
    grace time) ends the process at once, saved or not."""
    import contextlib
    import os
    import signal
    import threading

    go, done = threading.Event(), threading.Event()

    def save() -> None:
        go.wait()
        try:
            with contextlib.suppress(Exception):  # whatever happens, the process leaves
                app.save_before_exit()
        finally:
            done.set()

    threading.Thread(target=save, name="hangup-save", daemon=True).start()

    def handler(signum: int, _frame: object) -> None:
        if hung_up:
            os._exit(128 + hung_up[0])
        hung_up.append(signum)
        go.set()
        done.wait(HANGUP_SAVE_SECONDS)
        os._exit(128 + signum)

    for sig in (signal.SIGHUP, signal.SIGTERM):
        signal.signal(sig, handler)


# -- over SSH -------------------------------------------------------------------------------


def _session(args: argparse.Namespace) -> int:
    """A gateway session's app process. The member id comes from a pipe the gateway alone
    wrote (``--member-fd``); the environment was built by the gateway from scratch, so the
    SSH client has no say in who this is. Run by ``branchtui serve`` only."""
    from branchtui.services import Services
    from branchtui.session import read_member_fd, take_controlling_tty

    member_id = read_member_fd(args.member_fd)
    take_controlling_tty()
    try:
        svc = Services.create(_open_checked(args.db))
        actor = svc.roster.actor_for_member(member_id, via="ssh")
    except BranchError as exc:
        print(exc.message(), file=sys.stderr)
        return EXIT_REFUSED
    return _launch(svc, actor, url=args.db, exit_on_hangup=True)


def _login(args: argparse.Namespace) -> int:
    """OpenSSH's ``ForceCommand``: the OS account (authenticated by sshd) is the identity;
    the client's command (SSH_ORIGINAL_COMMAND) and the database variable are ignored, so
    pass ``--db`` in sshd_config."""
    from branchtui.services import Services
    from branchtui.session import both
    from branchtui.store.db import default_url

    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        print(both("serve.no_tty"), file=sys.stderr)
        return EXIT_ERROR
    url = args.db or default_url()
    svc = Services.create(_open_checked(url))
    # The account sshd authenticated, by uid (see os_login).
    actor = svc.roster.actor_for_login(os_login(), via="sshd")
    return _launch(svc, actor, url=url, exit_on_hangup=True)


# -- demo -------------------------------------------------------------------------------------


def demo_url(profile: str) -> str:
    from branchtui.store.db import data_dir

    return f"sqlite:///{data_dir() / f'demo-{profile}.sqlite3'}"


def _demo(args: argparse.Namespace) -> int:
    from branchtui.services import Services
    from branchtui.store.db import open_database, upgrade

    url = args.db or demo_url(args.profile)
    if args.fresh and url.startswith("sqlite:///"):
        path = Path(url[len("sqlite:///"):]).expanduser()
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
    db = open_database(url)
    with db.connection_context():
        upgrade(db)
    svc = Services.create(db)
    personas: dict[str, str]
    if svc.roster.is_empty():
        from branchtui.demo.generate import build

        print(t("cli.demo_building", profile=args.profile, url=_safe_url(url)), file=sys.stderr)
        summary = build(db, args.profile, today=svc.ctx.today(), seed=args.seed,
                        progress=lambda msg: print("  " + msg, file=sys.stderr))
        print(t("cli.demo_built", members=summary.members, meetings=summary.meetings,
                attendance=summary.attendance, seconds=f"{summary.seconds:.1f}"),
              file=sys.stderr)
        personas = summary.personas
    else:
        from branchtui.demo.personas import PERSONAS

        personas = dict(PERSONAS)
    if args.build_only:
        return EXIT_OK
    actor = None
    if args.as_role:
        login = personas.get(args.as_role, args.as_role)
        actor = svc.roster.actor_for_login(login, via="demo")
    return _launch(svc, actor, personas=personas, url=url)


# -- reports and keys -------------------------------------------------------------------------


def _cli_actor(svc, as_login: str | None):  # -> Actor
    """Reports run as the OS user's member; ``--as`` only on a demo database."""
    if as_login:
        from branchtui.demo.personas import is_demo

        with svc.ctx.db.connection_context():
            demo = is_demo()
        if not demo:
            raise BranchError("cli.as_demo_only")
        return svc.roster.actor_for_login(as_login, via="cli")
    return _local_actor(svc)


def _report(args: argparse.Namespace, url: str) -> int:
    from branchtui.reports import render_report
    from branchtui.services import Services

    svc = Services.create(_open_checked(url))
    actor = _cli_actor(svc, args.as_login)
    print(render_report(svc, actor, args.kind, org_id=args.org, period=args.period,
                        member=args.member, fmt=args.format))
    return EXIT_OK


def _keys(args: argparse.Namespace, url: str) -> int:
    from branchtui.services import Services

    svc = Services.create(_open_checked(url))
    actor = _local_actor(svc)
    roster = svc.roster
    if args.action == "list":
        member_id = _member_ref(svc, args.target) if args.target else None
        for k in roster.list_keys(actor, member_id):
            print(f"{k.member_id}\t{k.fingerprint}\t{k.comment}")
        return EXIT_OK
    if args.action == "add":
        if not args.target or not args.keyfile:
            raise BranchError("cli.keys_usage")
        from branchtui.core.sshkeys import MAX_TEXT

        try:
            # At most one character more than a key may have: the parser refuses that, and
            # a wrong path (a log, /dev/zero) is never read whole.
            with open(args.keyfile, encoding="utf-8", errors="replace") as fh:
                text = fh.read(MAX_TEXT + 1)
        except OSError as exc:
            raise BranchError("cli.keyfile_unreadable", path=args.keyfile,
                              reason=exc.strerror or type(exc).__name__) from None
        info = roster.add_key(actor, _member_ref(svc, args.target), text)
        print(t("cli.key_added", fingerprint=info.fingerprint))
        return EXIT_OK
    if not args.target:
        raise BranchError("cli.keys_usage")
    roster.remove_key(actor, args.target)
    print(t("cli.key_removed", fingerprint=args.target))
    return EXIT_OK


def _zone(args: argparse.Namespace, url: str) -> int:
    """Show or set an organisation's time zone (setting it: the administrator or a lead
    of an organisation above, as the rights table says)."""
    from branchtui.core.errors import NotFound
    from branchtui.services import Services

    svc = Services.create(_open_checked(url))
    actor = _local_actor(svc)
    if args.name is not None and args.inherit:
        raise BranchError("cli.zone_usage")
    if args.name is not None or args.inherit:
        org = svc.roster.set_time_zone(actor, args.org, None if args.inherit else args.name)
    else:
        seen = next((o for o in svc.roster.orgs(actor) if o.id == args.org), None)
        if seen is None:
            raise NotFound(what="org", id=args.org)
        org = seen
    print(t("cli.zone_show", org=org.name, id=org.id, zone=svc.ctx.zone_name(org.id),
            how=t("cli.zone_own") if org.time_zone else t("cli.zone_inherited")))
    return EXIT_OK


def _rules(args: argparse.Namespace, url: str) -> int:
    """Show an organisation's local rules (its own and those it inherits, each with the
    day it is in force from) or set its own from a day (the administrator)."""
    from branchtui.core.ruleset import DEFAULT_RULES
    from branchtui.services import Services

    svc = Services.create(_open_checked(url))
    actor = _local_actor(svc)
    if (args.overrides is not None and args.clear) or (
            args.starts is not None and args.overrides is None and not args.clear):
        raise BranchError("cli.rules_usage")
    if args.overrides is not None or args.clear:
        svc.roster.set_rules(actor, args.org, None if args.clear else args.overrides, None,
                             starts=args.starts)
    h = svc.roster.rule_history(actor, args.org)
    for c in h.changes:
        mark = t("cli.rules_now") if c.row_id in h.in_force else ""
        print(t("cli.rules_row", starts=c.starts.isoformat(), org=c.org_name, id=c.org_id,
                rules=c.overrides or t("cli.rules_none"), who=c.set_by or "-",
                at=c.set_at.isoformat(sep=" ")[:16], now=mark))
    base, now = DEFAULT_RULES.to_dict(), h.rules.to_dict()
    changed = {k: v for k, v in now.items() if v != base[k] and k != "version"}
    if changed.get("frequencies"):
        changed["frequencies"] = {k: v for k, v in changed["frequencies"].items()
                                  if v != base["frequencies"][k]}
    print(t("cli.rules_today", day=h.today.isoformat(), version=h.rules.version,
            rules=json.dumps(changed, ensure_ascii=False, sort_keys=True) if changed
            else t("cli.rules_defaults")))
    return EXIT_OK


def _member_ref(svc, ref: str) -> int:
    """A member by id or login name."""
    if ref.isdigit():
        return int(ref)
    return svc.roster.actor_for_login(ref).member_id


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
