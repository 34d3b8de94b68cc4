"""Liveness and readiness probes for the process manager and load balancer."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from app.routes import Routes

router = Routes(tags=["health"])


@router.get("/healthz", summary="The process is up")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get(
    "/readyz",
    summary="The database answers",
    responses={503: {"description": "The database cannot be reached; `reason` says why."}},
)
def readyz(request: Request) -> JSONResponse:
    try:
        with request.app.state.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        orig = getattr(exc, "orig", None)  # the driver's error, on a DBAPIError only
        reason = str(orig if orig else exc).strip().splitlines()[0]
        return JSONResponse(
            {"status": "unavailable", "reason": f"database unreachable: {reason}"},
            status_code=503,
        )
    return JSONResponse({"status": "ok"})
