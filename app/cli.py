"""The ``partrack`` command: database set-up, seeding and serving.

Heavy modules (the ORM, the web framework) are imported inside the commands that use them: with
``serve --workers N`` this module is all the supervisor process loads, and it stays small
(about 40 MB instead of 75 MB), while each worker imports the app itself.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer

from app.actors import SYSTEM
from app.config import get_settings

if TYPE_CHECKING:
    from sqlmodel import Session

app = typer.Typer(
    help="partrack: Kế hoạch CCHC, PAR Index và SIPAS của phường.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
app.add_typer(db_app, name="db")
user_app = typer.Typer(help="Accounts.", no_args_is_help=True)
app.add_typer(user_app, name="user")
token_app = typer.Typer(help="API tokens for scripts.", no_args_is_help=True)
app.add_typer(token_app, name="token")


def _session() -> Session:
    from sqlmodel import Session

    from app.accounts import passwords
    from app.db import make_engine

    settings = get_settings()
    passwords.use_profile(settings.password_hash_profile)
    return Session(make_engine(settings.database_url), expire_on_commit=False)


def _enter_ward(db_session: Session, code: str) -> None:
    """Work inside the named ward (a CLI command of a city-wide installation)."""
    from app import tenancy
    from app.wards.scope import ward_by_code

    found = ward_by_code(db_session, code)
    tenancy.enter(db_session, tenancy.Scope(ward_id=found.id))


def _wards(db_session: Session) -> list[tuple[int, str]]:
    """Every active ward, as (id, code): commands that run for all of them go one by one."""
    from sqlmodel import col, select

    from app.wards.models import Ward

    rows = db_session.exec(
        select(Ward.id, Ward.code).where(col(Ward.active).is_(True)).order_by(col(Ward.id))
    ).all()
    return [(int(i), str(c)) for i, c in rows if i is not None]


def _fail(exc: Exception) -> NoReturn:
    """Domain errors end the command with their Vietnamese message and exit status 1."""
    from app.errors import AppError

    message = str(exc)
    if isinstance(exc, AppError) and exc.errors:
        message += "".join(f"\n  {e.field}: {e.message}" for e in exc.errors)
    typer.echo(f"Lỗi: {message}", err=True)
    raise typer.Exit(1)


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    return typer.prompt("Mật khẩu", hide_input=True, confirmation_prompt=True)


@user_app.command("create")
def user_create(
    username: Annotated[str, typer.Option(help="Tên đăng nhập.")],
    full_name: Annotated[str, typer.Option(help="Họ và tên.")],
    role: Annotated[
        str,
        typer.Option(help="admin, coordinator, reporter, viewer; city_admin or city_viewer."),
    ],
    unit: Annotated[str | None, typer.Option(help="Unit code (reporters, coordinators).")] = None,
    ward: Annotated[
        str | None, typer.Option(help="Ward code; needed when the database holds several.")
    ] = None,
    email: Annotated[str, typer.Option()] = "",
    password_stdin: Annotated[bool, typer.Option("--password-stdin")] = False,
    temporary: Annotated[bool, typer.Option(help="Must change it at first login.")] = True,
) -> None:
    """Create an account (the password is read from stdin or asked for)."""
    from pydantic import ValidationError

    from app.accounts import service
    from app.accounts.models import UserCreate
    from app.clock import SystemClock
    from app.errors import AppError, Invalid, translate_validation_errors

    password = _read_password(password_stdin)
    try:
        data = UserCreate(
            username=username,
            full_name=full_name,
            email=email,
            role=role,
            unit=unit,
            ward=ward,
            password=password,
            must_change_password=temporary,
        )
        with _session() as db_session:
            if ward is not None:
                _enter_ward(db_session, ward)
            user = service.create_user(
                db_session=db_session, actor=SYSTEM, clock=SystemClock(), data=data
            )
    except ValidationError as exc:
        _fail(Invalid(translate_validation_errors(list(exc.errors()))))
    except AppError as exc:
        _fail(exc)
    typer.echo(
        f"Đã tạo tài khoản {user.username} ({user.role}, {user.unit or 'không gắn đơn vị'})."
    )


@user_app.command("set-password")
def user_set_password(
    username: Annotated[str, typer.Option()],
    password_stdin: Annotated[bool, typer.Option("--password-stdin")] = False,
    temporary: Annotated[bool, typer.Option(help="Must change it at next login.")] = True,
) -> None:
    """Set a user's password; their open sessions end."""
    from pydantic import ValidationError

    from app.accounts import service
    from app.accounts.models import PasswordSet
    from app.clock import SystemClock
    from app.errors import AppError, Invalid, translate_validation_errors

    try:
        data = PasswordSet(password=_read_password(password_stdin), must_change_password=temporary)
        with _session() as db_session:
            service.set_password(
                db_session=db_session,
                actor=SYSTEM,
                clock=SystemClock(),
                username=username,
                data=data,
            )
    except ValidationError as exc:
        _fail(Invalid(translate_validation_errors(list(exc.errors()))))
    except AppError as exc:
        _fail(exc)
    typer.echo(f"Đã đặt mật khẩu mới cho {username}.")


@user_app.command("ensure-admin")
def user_ensure_admin() -> None:
    """On a database without accounts, create `admin` (PARTRACK_ADMIN_PASSWORD or generated)."""
    import secrets

    from sqlmodel import select

    from app.accounts import service
    from app.accounts.models import User, UserCreate
    from app.clock import SystemClock

    settings = get_settings()
    with _session() as db_session:
        if db_session.exec(select(User.id)).first() is not None:
            return
        given = settings.admin_password.get_secret_value() if settings.admin_password else None
        password = given or secrets.token_urlsafe(12)
        service.create_user(
            db_session=db_session,
            actor=SYSTEM,
            clock=SystemClock(),
            data=UserCreate(
                username="admin",
                full_name="Quản trị hệ thống",
                role="admin",
                password=password,
                must_change_password=given is None,
            ),
        )
    if given:
        typer.echo("Đã tạo tài khoản quản trị “admin” với mật khẩu PARTRACK_ADMIN_PASSWORD.")
    else:
        typer.echo("=" * 72)
        typer.echo("Đã tạo tài khoản quản trị — chỉ hiện MỘT lần, hãy ghi lại:")
        typer.echo("  tên đăng nhập: admin")
        typer.echo(f"  mật khẩu tạm:  {password}")
        typer.echo("Đăng nhập tại http://127.0.0.1:8000/login rồi đổi mật khẩu.")
        typer.echo("=" * 72)


@token_app.command("create")
def token_create(
    username: Annotated[str, typer.Option()],
    name: Annotated[str, typer.Option(help="What the token is for.")],
    expires_days: Annotated[int, typer.Option(min=1, max=730)] = 90,
) -> None:
    """Issue a personal access token; it is printed once (stdout), only its hash is kept."""
    from app.accounts import service
    from app.accounts.models import TokenCreate
    from app.clock import SystemClock
    from app.errors import AppError

    try:
        with _session() as db_session:
            issued = service.issue_token(
                db_session=db_session,
                actor=SYSTEM,
                clock=SystemClock(),
                data=TokenCreate(username=username, name=name, expires_days=expires_days),
            )
    except AppError as exc:
        _fail(exc)
    typer.echo(
        f"Mã truy cập số {issued.id} cho {issued.username}, hết hạn {issued.expires_at:%d/%m/%Y}:",
        err=True,
    )
    typer.echo(issued.token)


@token_app.command("revoke")
def token_revoke(token_id: Annotated[int, typer.Argument(help="The token's number.")]) -> None:
    """Revoke a token at once."""
    from app.accounts import service
    from app.clock import SystemClock
    from app.errors import AppError

    try:
        with _session() as db_session:
            service.revoke_token(
                db_session=db_session, actor=SYSTEM, clock=SystemClock(), token_id=token_id
            )
    except AppError as exc:
        _fail(exc)
    typer.echo(f"Đã thu hồi mã truy cập số {token_id}.")


@db_app.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument()] = "head") -> None:
    """Apply migrations up to REVISION (default: the newest)."""
    from app import migrate

    settings = get_settings()
    migrate.upgrade(settings.database_url, revision)
    typer.echo(f"Cơ sở dữ liệu đã ở phiên bản {revision}.")


@app.command()
def seed(
    if_empty: Annotated[
        bool, typer.Option("--if-empty", help="Only when no plan is loaded yet.")
    ] = False,
    ward: Annotated[
        str | None,
        typer.Option(help="Load the plan template into this ward (created when new)."),
    ] = None,
    ward_name: Annotated[
        str | None, typer.Option(help="The new ward's name, e.g. “Phường Bình Đông”.")
    ] = None,
) -> None:
    """Load Plan 84/KH-UBND (units, areas, domains, tasks, targets); safe to repeat.

    With ``--ward`` the same template is loaded as another ward's own plan and units."""
    from sqlmodel import Session

    from app.clock import SystemClock
    from app.db import make_engine
    from app.seed import service as seed_service

    data = seed_service.load_data()
    if ward is not None:
        data["ward"] = {"code": ward, "name": ward_name or ward}
    engine = make_engine(get_settings().database_url)
    with Session(engine) as db_session:
        if if_empty and not seed_service.is_empty(db_session=db_session):
            typer.echo("Dữ liệu Kế hoạch đã có; không nạp lại.")
            return
        report = seed_service.seed_plan(db_session=db_session, clock=SystemClock(), data=data)
    if report.total == 0:
        typer.echo("Không có gì mới để nạp: dữ liệu đã đầy đủ.")
    else:
        details = ", ".join(f"{n} {kind}" for kind, n in report.created.items())
        typer.echo(f"Đã nạp: {details}.")


@app.command()
def demo(
    wards: Annotated[int, typer.Option(min=1, max=500, help="How many wards.")] = 3,
    password_stdin: Annotated[bool, typer.Option("--password-stdin")] = False,
) -> None:
    """Build a demo city in an EMPTY database: N wards with Plan 84, accounts and reports.

    Accounts: <ward>.admin, <ward>.vhxh (coordinator), <ward>.<unit> (reporters) and so-noi-vu
    (city viewer), all with the password given (asked for, or read from stdin)."""
    from app.clock import FixedClock, SystemClock
    from app.errors import AppError
    from app.seed import demo as demo_service

    settings = get_settings()
    password = _read_password(password_stdin)
    clock = FixedClock.on(settings.today) if settings.today else SystemClock()
    try:
        with _session() as db_session:
            report = demo_service.build_city(
                db_session=db_session, clock=clock, wards=wards, password=password
            )
    except AppError as exc:
        _fail(exc)
    rows = ", ".join(f"{n} {kind}" for kind, n in report.rows.items())
    typer.echo(f"Đã tạo {report.wards} phường, {report.users} tài khoản; {rows}.")


@app.command()
def remind() -> None:
    """Send today's report reminders (in the app and by e-mail); safe to run again (cron, timer)."""
    from app import tenancy
    from app.clock import FixedClock, SystemClock
    from app.errors import AppError
    from app.registers import conclusions
    from app.reminders.mail import Mailer
    from app.reminders.models import PassResult
    from app.reporting import reminder_pass as reminder_service

    settings = get_settings()
    escalated = 0
    clock = FixedClock.on(settings.today) if settings.today else SystemClock()
    result = PassResult()
    try:
        with _session() as db_session:
            for ward_id, ward_code in _wards(db_session):
                # One pass per ward, inside it: each ward's current plan, units and people.
                tenancy.enter(db_session, tenancy.Scope(ward_id=ward_id, today=clock.today()))
                one = reminder_service.run_pass(
                    db_session=db_session,
                    actor=SYSTEM.inside(ward_id, ward_code),
                    clock=clock,
                    settings=settings,
                    mailer=Mailer.from_settings(settings),
                )
                result.reminders += one.reminders
                result.notifications += one.notifications
                result.emails_sent += one.emails_sent
                result.emails_failed += one.emails_failed
                overdue = conclusions.escalate(
                    db_session=db_session, actor=SYSTEM.inside(ward_id, ward_code), clock=clock
                )
                escalated += overdue.conclusions
                result.notifications += overdue.notifications
    except (AppError, ValueError) as exc:  # no plan loaded, a broken holidays file
        _fail(exc)
    typer.echo(
        f"Đã tạo {result.reminders} lời nhắc, {result.notifications} thông báo; "
        f"thư điện tử: {result.emails_sent} đã gửi, {result.emails_failed} lỗi; "
        f"{escalated} kết luận, nhiệm vụ, tồn tại sau kiểm tra quá hạn được nhắc."
    )
    if result.emails_failed:
        raise typer.Exit(2)


@app.command()
def backup(
    output: Annotated[Path, typer.Option(help="Folder for the backup and its manifest.")] = Path(
        "backups"
    ),
) -> None:
    """Back up the database while the service runs (SQLite online backup, pg_dump -Fc)."""
    from app import backup as backups
    from app.clock import SystemClock
    from app.errors import AppError

    try:
        path, manifest = backups.backup(
            database_url=get_settings().database_url, directory=output, now=SystemClock().now()
        )
    except AppError as exc:
        _fail(exc)
    typer.echo(f"Đã sao lưu vào {path} ({manifest.size_bytes} byte).")
    typer.echo(f"SHA-256: {manifest.sha256}; phiên bản lược đồ: {manifest.schema_revision}.")
    typer.echo("Hãy cất PARTRACK_SECRET_KEY (hoặc data/secret_key) cùng bản sao lưu này.")


@app.command()
def restore(
    file: Annotated[Path, typer.Argument(help="A backup written by `partrack backup`.")],
    force: Annotated[
        bool, typer.Option("--force", help="Overwrite a database that holds data.")
    ] = False,
) -> None:
    """Restore a backup after checking its SHA-256; an empty (or migrated-empty) database only,
    unless --force."""
    from app import backup as backups
    from app.errors import AppError

    try:
        manifest = backups.restore(
            database_url=get_settings().database_url, backup_file=file, force=force
        )
    except AppError as exc:
        _fail(exc)
    typer.echo(
        f"Đã khôi phục {manifest.file} (sao lưu lúc {manifest.created_at}, "
        f"phiên bản lược đồ {manifest.schema_revision})."
    )
    typer.echo("Chạy `partrack db upgrade` nếu phần mềm mới hơn bản sao lưu.")


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Default: PARTRACK_HOST.")] = None,
    port: Annotated[int | None, typer.Option(help="Default: PARTRACK_PORT.")] = None,
    workers: Annotated[
        int | None, typer.Option(min=1, max=64, help="Processes; default: PARTRACK_WORKERS.")
    ] = None,
    reload: Annotated[bool, typer.Option(help="Restart on code changes (one process).")] = False,
) -> None:
    """Serve the web app and API with uvicorn, in one process or several.

    With more than one worker, uvicorn's supervisor holds the listening socket and restarts a
    worker that dies (a crash, the kernel's OOM killer) while the others keep answering. Every
    piece of state a request needs is in the database, so any worker may answer any request.
    With workers this process becomes that supervisor (``app.runtime.supervise``, same process
    id), shedding what the command line loaded.
    """
    settings = get_settings()
    count = workers or settings.workers
    if reload and count > 1:
        _fail(ValueError("--reload chạy một tiến trình: bỏ --workers hoặc bỏ --reload."))
    # The workers read it to share the machine: each sizes its hashing pool for its part.
    os.environ["PARTRACK_WORKERS"] = str(count)
    options: dict[str, Any] = {
        "host": host or settings.host,
        "port": port or settings.port,
        "workers": count,
        # uvicorn rewrites the client address from X-Forwarded-For only for the proxies named
        # in PARTRACK_TRUSTED_PROXIES (none by default): from anyone else it is a forgery that
        # would escape every per-address limit.
        "proxy_headers": bool(settings.trusted_proxies),
        "forwarded_allow_ips": ",".join(str(p) for p in settings.trusted_proxies) or "",
        "backlog": settings.listen_backlog,
        "timeout_keep_alive": settings.keep_alive_seconds,
        "timeout_graceful_shutdown": settings.graceful_shutdown_seconds,
    }
    if count > 1:
        from app.runtime import become_supervisor

        become_supervisor(options)  # does not return
    import uvicorn

    from app.sipas.access_log import uvicorn_log_config

    uvicorn.run(
        "app.main:create_app",
        factory=True,
        reload=reload,
        log_config=uvicorn_log_config(),  # survey lines without codes or addresses
        **options,
    )


if __name__ == "__main__":  # pragma: no cover
    app()
