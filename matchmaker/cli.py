"""The ``matchmaker`` command: serve, migrate, seed, manage users, import needs, offers and history,
export open data, evaluate, report, update exchange rates, run funding rounds.

Long commands draw progress bars on standard error when it is a terminal, and nothing
otherwise, so that what scripts read (standard output, or a log) is the same either way.
Each command imports only what it uses: scikit-learn, the web stack and password hashing
each take a noticeable fraction of a second to import.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import signal
import sys
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager

import asyncpg
import msgspec

from matchmaker.accounts.queries import accounts_sql
from matchmaker.db.session import connection
from matchmaker.errors import InvalidInput, MatchmakerError
from matchmaker.organisations.queries import organisations_sql
from matchmaker.settings import get_settings


def _run(work: Callable[[asyncpg.Connection], Awaitable[None]]) -> None:
    async def main() -> None:
        async with connection(get_settings()) as conn:
            await work(conn)

    asyncio.run(main())


@contextmanager
def _progress() -> Iterator[Callable[[str, int, int | None], None]]:
    """A ``progress(step, done, total)`` callback: one bar per step on standard error when it is
    a terminal, with the time each step took; silent when it is not (pipes, logs, tests)."""
    if not sys.stderr.isatty():
        yield lambda *_: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

    # Standard output goes through the bars only when it is the same terminal; redirected, it stays untouched.
    with Progress(TextColumn("{task.description:<28}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=Console(stderr=True), redirect_stdout=sys.stdout.isatty()) as bars:
        tasks: dict[str, TaskID] = {}

        def report(step: str, done: int, total: int | None) -> None:
            if step not in tasks:
                tasks[step] = bars.add_task(step, total=total)
            bars.update(tasks[step], completed=done, total=total)

        yield report


GRACEFUL_SHUTDOWN_SECONDS = 4


def cmd_serve(args: argparse.Namespace) -> None:
    import uvicorn

    # Fail before serving rather than serve a half-migrated schema.
    cmd_migrate(args)
    # uvicorn stops gracefully on these, then raises them again: exit normally then, so
    # that exit handlers run (the embedded PostgreSQL stops with its last process).
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: sys.exit(0))
    uvicorn.run(
        "matchmaker.app:create_app", factory=True, host=args.host, port=args.port,
        workers=args.workers, log_level="info", server_header=False,
        # On SIGTERM/SIGINT, requests in flight get this long to finish; open event streams
        # are then cut (clients resume from Last-Event-ID), so a stop takes seconds, not forever.
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
    )


def cmd_migrate(args: argparse.Namespace) -> None:
    from matchmaker.upkeep import bring_up_to_date

    async def work(conn: asyncpg.Connection) -> None:
        applied = await bring_up_to_date(conn)
        print(f"applied {len(applied)} migration(s)" + (f": {', '.join(applied)}" if applied else ""))

    _run(work)


def cmd_seed(args: argparse.Namespace) -> None:
    from matchmaker.demo import load_demo_data

    if get_settings().database_url and not args.allow_external_database:
        sys.exit("error: the demo data has accounts with published passwords; it is loaded into the embedded "
                 "database only. To load it into the database at DATABASE_URL all the same, pass "
                 "--allow-external-database")

    async def work(conn: asyncpg.Connection) -> None:
        with _progress() as progress:
            async with conn.transaction():
                counts = await load_demo_data(conn, progress)
        if not any(counts.values()):
            print("demo data: already loaded, nothing to do")
        else:
            print("demo data: " + ", ".join(f"{n} new {what}" for what, n in counts.items()))

    _run(work)


def cmd_users_create(args: argparse.Namespace) -> None:
    from matchmaker.accounts.schemas import UserCreate
    from matchmaker.accounts.service import create_user
    from matchmaker.organisations.service import resolve_organisation

    password = args.password if args.password is not None else _ask_password()

    async def work(conn: asyncpg.Connection) -> None:
        organisation = None if args.organisation is None else await resolve_organisation(conn, args.organisation)
        data = msgspec.convert(
            {"email": args.email, "password": password, "role": args.role, "organisation_id": organisation},
            UserCreate,
        )
        async with conn.transaction():
            user = await create_user(conn, data)
        print(f"created user {user.id} <{user.email}> role={user.role} organisation={user.organisation_id}")

    _run(work)


def cmd_users_list(args: argparse.Namespace) -> None:
    from matchmaker.db.queries import fetch_all

    async def work(conn: asyncpg.Connection) -> None:
        rows = await fetch_all(accounts_sql.list_users(conn))
        _table(("id", 5), ("email", 40), ("role", 12), ("active", 7), ("organisation", 0), rows=[
            (r["id"], r["email"], r["role"], "yes" if r["active"] else "no",
             f"{r['organisation']} ({r['organisation_key']})" if r["organisation_key"] else r["organisation"] or "")
            for r in rows])

    _run(work)


def cmd_organisations_list(args: argparse.Namespace) -> None:
    from matchmaker.db.queries import fetch_all

    async def work(conn: asyncpg.Connection) -> None:
        rows = await fetch_all(organisations_sql.all_organisations(conn))
        _table(("id", 5), ("key", 36), ("kind", 22), ("country", 8), ("name", 0), rows=[
            (r["id"], r["external_id"] or "", r["kind"], r["country"], r["name"]) for r in rows])

    _run(work)


def _table(*columns: tuple[str, int], rows: list[tuple]) -> None:
    """Print rows under a header, each column its width wide (0: as wide as it is)."""
    for row in [tuple(name for name, _ in columns), *rows]:
        print("  ".join(f"{value!s:<{width}}" if width else str(value) for value, (_, width) in zip(row, columns)))


def _ask_password() -> str:
    """The new account's password from the terminal (twice, not echoed), or the first line of
    standard input when it is not a terminal: it stays out of the shell's history."""
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\n")
    password = getpass.getpass("password for the new account: ")
    if getpass.getpass("the same again: ") != password:
        sys.exit("error: the two passwords differ")
    return password


def cmd_import_history(args: argparse.Namespace) -> None:
    from matchmaker.history import import_history

    async def work(conn: asyncpg.Connection) -> None:
        with _progress() as progress:
            async with conn.transaction():
                report = await import_history(conn, args.file, progress)
        print(report)

    _run(work)


def cmd_import(args: argparse.Namespace) -> None:
    from pathlib import Path

    from matchmaker.accounts.service import get_user
    from matchmaker.csvfiles import import_rows, text_of
    from matchmaker.needs.schemas import NeedCreate
    from matchmaker.needs.service import create_need
    from matchmaker.offers.schemas import OfferCreate
    from matchmaker.offers.service import create_offer

    text = text_of(Path(args.file).read_bytes())

    async def work(conn: asyncpg.Connection) -> None:
        row = await accounts_sql.get_user_credentials(conn, email=args.as_user.strip().lower())
        user = await get_user(conn, row["id"]) if row else None
        if user is None:
            sys.exit(f"error: no account {args.as_user!r}")
        async with conn.transaction():
            try:
                if args.kind == "needs":
                    created = [n.id for n in await import_rows(conn, NeedCreate, text, lambda d: create_need(conn, user, d))]
                else:
                    created = [o.id for o in await import_rows(conn, OfferCreate, text, lambda d: create_offer(conn, user, d))]
            except InvalidInput as exc:
                sys.exit("\n".join([f"error: {args.file}: nothing was imported", *(
                    f"  {e['field']}: {e['message']}" for e in exc.errors)]))
        print(f"imported {len(created)} {args.kind}: ids {', '.join(map(str, created))}")

    _run(work)


def cmd_export_iati(args: argparse.Namespace) -> None:
    from datetime import UTC, datetime

    from matchmaker.reporting.iati import iati_activities

    async def work(conn: asyncpg.Connection) -> None:
        body = await iati_activities(conn, get_settings().iati_publisher, None, datetime.now(UTC))
        if args.output == "-":
            sys.stdout.buffer.write(body)
        else:
            with open(args.output, "wb") as out:
                out.write(body)

    _run(work)


def cmd_evaluate(args: argparse.Namespace) -> None:
    try:
        from matchmaker.evaluation.evaluate import evaluate
    except ImportError as exc:  # a service-only install
        sys.exit(f"matchmaker: evaluate needs the evaluation tools ({exc.name} is missing): "
                 "pip install 'matchmaker[eval]'")

    out = sys.stdout  # taken before the progress bars may wrap it
    with _progress() as progress:
        evaluate(args.train, args.test, out=out, progress=progress, new_funders=args.new_funders)


def cmd_train(args: argparse.Namespace) -> None:
    from matchmaker.ranking.service import MODEL_FILE
    from matchmaker.ranking.training import train

    async def work(conn: asyncpg.Connection) -> None:
        with _progress() as progress:
            report = await train(conn, get_settings().data_dir / MODEL_FILE, progress)
        print(report)

    _run(work)


def cmd_report(args: argparse.Namespace) -> None:
    from matchmaker.reporting.gaps import format_table, funding_gaps

    async def work(conn: asyncpg.Connection) -> None:
        for by in args.by:
            print(format_table(by, await funding_gaps(conn, by)), end="\n\n")

    _run(work)


def cmd_rates_update(args: argparse.Namespace) -> None:
    from pathlib import Path

    from matchmaker import rates

    found = rates.read_ecb_file(Path(args.file))  # the whole file is checked before anything is loaded

    async def work(conn: asyncpg.Connection) -> None:
        async with conn.transaction():
            print(await rates.load_ecb(conn, found))

    _run(work)


def cmd_rates_status(args: argparse.Namespace) -> None:
    from datetime import date

    from matchmaker import rates

    async def work(conn: asyncpg.Connection) -> None:
        _table(("source", 12), ("newest", 12), ("currencies", 0), rows=[
            (r["source"], r["newest"] or "none", r["currencies"]) for r in await rates.sources(conn)])
        found = await rates.staleness(conn, date.today(), get_settings().rates_stale_days)
        age = f"{(found.value_date - found.newest_official).days} day(s) old" if found.newest_official else "none loaded"
        print(f"official rates: {'stale' if found.stale else 'current'} ({age}; stale after {found.stale_days} days)")
        if found.stale:
            print("load newer ones with `matchmaker rates update FILE` (the ECB's eurofxref-hist.zip or eurofxref.csv)")

    _run(work)


async def _coordinator(conn: asyncpg.Connection, email: str):
    """The coordinator (or admin) a round command acts as: rounds and their matches are audited under a name."""
    from matchmaker.accounts.service import get_user
    from matchmaker.errors import Forbidden, NotFound

    row = await accounts_sql.get_user_credentials(conn, email=email.lower())
    user = await get_user(conn, row["id"]) if row else None
    if user is None:
        raise NotFound(f"no account has the e-mail address {email}")
    if user.role not in ("coordinator", "admin"):
        raise Forbidden(f"{email} is a {user.role}: rounds are run by coordinators")
    return user


def cmd_rounds_create(args: argparse.Namespace) -> None:
    from matchmaker.rounds.schemas import RoundCreate
    from matchmaker.rounds.service import create_round
    from matchmaker.schemas import decode_money

    body = {"name": args.name, "description": args.description, "opens_on": args.opens, "closes_on": args.closes,
            "offer_ids": args.offers, "gcm_objectives": args.objectives, "regions": args.regions,
            "resource_type": args.resource_type, "rules": msgspec.Raw(args.rules.encode())}
    # Read as a request body is: the rules' objectives are JSON keys, amounts exact.
    data = msgspec.json.decode(msgspec.json.encode(body), type=RoundCreate, dec_hook=decode_money)

    async def work(conn: asyncpg.Connection) -> None:
        async with conn.transaction():
            found = await create_round(conn, await _coordinator(conn, args.as_user), data)
        print(f"created round {found.id} “{found.name}”: {len(found.offer_ids)} offers")

    _run(work)


def cmd_rounds_list(args: argparse.Namespace) -> None:
    from matchmaker.rounds.service import list_rounds

    async def work(conn: asyncpg.Connection) -> None:
        rounds = await list_rounds(conn, limit=100, cursor=None)
        _table(("id", 5), ("status", 10), ("opens", 11), ("closes", 11), ("offers", 7), ("latest proposal", 16), ("name", 0),
               rows=[(r.id, r.status, r.opens_on, r.closes_on, len(r.offer_ids), r.latest_proposal_id or "", r.name)
                     for r in rounds.items])

    _run(work)


def _print_proposal(proposal) -> None:
    """A proposal as coordinators read it in a terminal: the summary, then per region, objective and offer."""
    gap = "n/a" if proposal.gap is None else f"{proposal.gap:.2%}"
    print(f"proposal {proposal.id}: {proposal.status} in {proposal.seconds:.1f} s, gap {gap}; "
          f"{len(proposal.allocations)} allocations to {len({a.need_id for a in proposal.allocations})} of "
          f"{proposal.needs} eligible needs ({proposal.pairs} candidate pairs)")
    print(f"value {proposal.value:,.0f} (score x USD), allocated ${proposal.allocated_usd:,.2f}")
    greedy = proposal.greedy
    print(f"greedy: value {greedy.value:,.0f}, allocated ${greedy.allocated_usd:,.2f}, breaks {len(greedy.breaks)} rule(s)")
    for broken in greedy.breaks:
        print(f"  greedy breaks {broken.rule} {broken.subject}: {broken.detail}")
    for blocked in proposal.blocking:
        print(f"blocked by {blocked.rule} {blocked.subject} (by ${blocked.by_usd:,.2f}): {blocked.detail}")
    for title, shares in (("region", proposal.by_region), ("objective", proposal.by_objective)):
        _table((title, 10), ("allocated USD", 16), ("share", 7), ("needs", 6), ("rule", 0), rows=[
            (s.key, f"{s.amount_usd:,.2f}", f"{s.share:.1%}", s.needs,
             "" if s.min is None and s.max is None else f"{s.min or 0:.0%}-{1 if s.max is None else s.max:.0%}")
            for s in shares])
    _table(("offer", 6), ("allocated USD", 16), ("needs", 6), ("title", 0), rows=[
        (o.offer_id, f"{o.allocated_usd:,.2f}", o.needs, o.title) for o in proposal.by_offer])


def cmd_rounds_show(args: argparse.Namespace) -> None:
    from matchmaker.rounds.service import find_round, get_proposal

    async def work(conn: asyncpg.Connection) -> None:
        found = await find_round(conn, args.round)
        print(f"round {found.id} “{found.name}” ({found.status}), {found.opens_on} to {found.closes_on}, "
              f"{len(found.offer_ids)} offers; rules {msgspec.json.encode(found.rules).decode()}")
        shown = args.proposal or found.committed_proposal_id or found.latest_proposal_id
        if shown is not None:
            _print_proposal(await get_proposal(conn, found.id, shown))

    _run(work)


def cmd_rounds_solve(args: argparse.Namespace) -> None:
    from matchmaker.ranking.service import MODEL_FILE, PairScorer
    from matchmaker.rounds.schemas import Solve
    from matchmaker.rounds.service import find_round, solve_round

    options = msgspec.convert({"time_limit": args.time_limit, "pairs_per_need": args.pairs_per_need}, Solve)

    async def work(conn: asyncpg.Connection) -> None:
        user = await _coordinator(conn, args.as_user)
        found = await find_round(conn, args.round)
        with _progress() as progress:
            async with conn.transaction():
                proposal = await solve_round(conn, user, found.id, PairScorer(get_settings().data_dir / MODEL_FILE),
                                             options, progress)
        _print_proposal(proposal)

    _run(work)


def cmd_rounds_commit(args: argparse.Namespace) -> None:
    from matchmaker.rounds.schemas import Commit
    from matchmaker.rounds.service import commit_round, find_round

    data = msgspec.convert({"reason": args.reason, "proposal_id": args.proposal}, Commit)

    async def work(conn: asyncpg.Connection) -> None:
        user = await _coordinator(conn, args.as_user)
        found = await find_round(conn, args.round)
        async with conn.transaction():
            committed = await commit_round(conn, user, found.id, data)
        print(f"committed proposal {committed.committed_proposal_id} of round {committed.id} “{committed.name}”")

    _run(work)


def cmd_rounds_export(args: argparse.Namespace) -> None:
    from matchmaker.rounds.service import export_round, find_round

    async def work(conn: asyncpg.Connection) -> None:
        text = await export_round(conn, (await find_round(conn, args.round)).id)
        if args.output:
            with open(args.output, "w", encoding="utf-8", newline="") as fh:
                fh.write(text)
        else:
            sys.stdout.write(text)

    _run(work)


def _rounds_parser(sub: argparse._SubParsersAction) -> None:
    rounds = sub.add_parser("rounds", help="funding rounds: pooled offers allocated across needs under balance rules"
                            ).add_subparsers(dest="rounds_command", required=True)
    acting = argparse.ArgumentParser(add_help=False)
    acting.add_argument("--as", dest="as_user", required=True, metavar="EMAIL", help="the coordinator acting")
    create = rounds.add_parser("create", parents=[acting], help="open a round")
    create.add_argument("--name", required=True)
    create.add_argument("--description", default="")
    create.add_argument("--opens", required=True, metavar="YYYY-MM-DD")
    create.add_argument("--closes", required=True, metavar="YYYY-MM-DD")
    create.add_argument("--offers", required=True, nargs="+", type=int, metavar="ID")
    create.add_argument("--objectives", nargs="*", type=int, default=[], metavar="N")
    create.add_argument("--regions", nargs="*", default=[])
    create.add_argument("--resource-type", default="financial")
    create.add_argument("--rules", default="{}", help='balance rules as JSON, e.g. \'{"regions": {"Africa": {"min": 0.3}}}\'')
    create.set_defaults(func=cmd_rounds_create)
    rounds.add_parser("list", help="the rounds").set_defaults(func=cmd_rounds_list)
    show = rounds.add_parser("show", help="a round and its committed (else latest) proposal")
    show.add_argument("round", help="id or name")
    show.add_argument("--proposal", type=int)
    show.set_defaults(func=cmd_rounds_show)
    solve = rounds.add_parser("solve", parents=[acting], help="allocate the round's offers (and the greedy allocation beside)")
    solve.add_argument("round", help="id or name")
    solve.add_argument("--time-limit", type=float, default=10.0, metavar="SECONDS")
    solve.add_argument("--pairs-per-need", type=int, default=None, metavar="K")
    solve.set_defaults(func=cmd_rounds_solve)
    commit = rounds.add_parser("commit", parents=[acting], help="approve every match of a proposal through the ledger")
    commit.add_argument("round", help="id or name")
    commit.add_argument("--reason", required=True)
    commit.add_argument("--proposal", type=int)
    commit.set_defaults(func=cmd_rounds_commit)
    export = rounds.add_parser("export", help="the committed allocation as CSV")
    export.add_argument("round", help="id or name")
    export.add_argument("--output", "-o")
    export.set_defaults(func=cmd_rounds_export)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="matchmaker", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="migrate, then serve the API")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    serve.set_defaults(func=cmd_serve)

    db = sub.add_parser("db", help="database administration").add_subparsers(dest="db_command", required=True)
    db.add_parser("migrate", help="apply pending migrations (idempotent, locked)").set_defaults(func=cmd_migrate)

    seed = sub.add_parser("seed", help="load the demo data of seed/ (idempotent; demo accounts, published passwords)")
    seed.add_argument("--allow-external-database", action="store_true",
                      help="load it although DATABASE_URL names a database of your own")
    seed.set_defaults(func=cmd_seed)

    users = sub.add_parser("users", help="user accounts").add_subparsers(dest="users_command", required=True)
    create = users.add_parser("create", help="create a user")
    create.add_argument("--email", required=True)
    create.add_argument("--password", help="asked for (not echoed) when left out; or given on standard input")
    create.add_argument("--role", required=True, choices=["state", "donor", "coordinator", "admin"])
    create.add_argument("--organisation", default=None,
                        help="organisation id or key, e.g. 42 or sen-dpaf (state and donor users)")
    create.set_defaults(func=cmd_users_create)
    users.add_parser("list", help="list the accounts").set_defaults(func=cmd_users_list)
    organisations = sub.add_parser("organisations", help="organisations").add_subparsers(
        dest="organisations_command", required=True)
    organisations.add_parser("list", help="list the organisations, with their keys").set_defaults(
        func=cmd_organisations_list)

    history = sub.add_parser("import-history", help="import past funding records (benchmark CSV format)")
    history.add_argument("file")
    history.set_defaults(func=cmd_import_history)

    importing = sub.add_parser("import", help="post needs or offers from a CSV file (all or none), as an account")
    importing.add_argument("kind", choices=["needs", "offers"])
    importing.add_argument("file")
    importing.add_argument("--as", dest="as_user", required=True, metavar="EMAIL",
                           help="the account they are posted by (a state's or donor's for its organisation; "
                                "a coordinator's with an organisation_id column)")
    importing.set_defaults(func=cmd_import)

    export = sub.add_parser("export", help="open-data exports").add_subparsers(dest="export_command", required=True)
    iati = export.add_parser("iati", help="every approved, disbursed and completed match as an IATI 2.03 activity file")
    iati.add_argument("--output", "-o", default="-", metavar="FILE", help="where to write it (default: standard output)")
    iati.set_defaults(func=cmd_export_iati)

    evaluate = sub.add_parser("evaluate", help="rank funders for held-out records: our ranker beside baselines")
    evaluate.add_argument("--train", required=True)
    evaluate.add_argument("--test", required=True)
    evaluate.add_argument("--new-funders", type=float, default=0.25, metavar="SHARE",
                          help="share of funders whose history the new-funder protocol hides (default 0.25; 0 skips it)")
    evaluate.set_defaults(func=cmd_evaluate)
    sub.add_parser("train", help="refit the ranker from funding history and coordinators' decisions").set_defaults(
        func=cmd_train
    )

    rates = sub.add_parser("rates", help="official exchange rates (ECB)").add_subparsers(
        dest="rates_command", required=True)
    update = rates.add_parser("update", help="load a newer ECB file: eurofxref-hist.zip or .csv, or eurofxref.csv")
    update.add_argument("file")
    update.set_defaults(func=cmd_rates_update)
    rates.add_parser("status", help="the newest day of each source of rates, and staleness").set_defaults(
        func=cmd_rates_status)

    report = sub.add_parser("report", help="print the funding gaps in the terminal")
    report.add_argument("--by", nargs="+", default=["gcm_objective", "region", "capacity_area", "resource_type"],
                        choices=["gcm_objective", "region", "country", "capacity_area", "resource_type"])
    report.set_defaults(func=cmd_report)
    _rounds_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    try:
        args.func(args)
    except MatchmakerError as exc:
        sys.exit(f"error: {exc.detail}")
    except OSError as exc:  # a file that is not there or cannot be read: say which, no traceback
        sys.exit(f"error: {exc.strerror or exc}: {exc.filename or ''}".rstrip(": "))
    except (msgspec.ValidationError, msgspec.DecodeError) as exc:
        sys.exit(f"error: {exc}")


if __name__ == "__main__":
    main()
