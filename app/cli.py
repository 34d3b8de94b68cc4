"""The ``partrack`` command: database set-up, seeding and serving."""

from __future__ import annotations

from typing import Annotated

import typer
from sqlmodel import Session

from app.clock import SystemClock
from app.config import get_settings
from app.db import make_engine

app = typer.Typer(
    help="partrack: Kế hoạch CCHC, PAR Index và SIPAS của phường.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
app.add_typer(db_app, name="db")


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
) -> None:
    """Load Plan 84/KH-UBND (units, areas, domains, tasks, targets); safe to repeat."""
    from app.seed import service as seed_service

    engine = make_engine(get_settings().database_url)
    with Session(engine) as db_session:
        if if_empty and not seed_service.is_empty(db_session=db_session):
            typer.echo("Dữ liệu Kế hoạch đã có; không nạp lại.")
            return
        report = seed_service.seed_plan(db_session=db_session, clock=SystemClock())
    if report.total == 0:
        typer.echo("Không có gì mới để nạp: dữ liệu đã đầy đủ.")
    else:
        details = ", ".join(f"{n} {kind}" for kind, n in report.created.items())
        typer.echo(f"Đã nạp: {details}.")


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Default: PARTRACK_HOST.")] = None,
    port: Annotated[int | None, typer.Option(help="Default: PARTRACK_PORT.")] = None,
    reload: Annotated[bool, typer.Option(help="Restart on code changes.")] = False,
) -> None:
    """Serve the web app and API with uvicorn."""
    import uvicorn

    settings = get_settings()
    uvicorn.run(
        "app.main:create_app",
        factory=True,
        host=host or settings.host,
        port=port or settings.port,
        reload=reload,
        proxy_headers=True,
    )


if __name__ == "__main__":  # pragma: no cover
    app()
