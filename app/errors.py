"""Domain errors and the handlers that turn them into answers.

Services raise these, never ``HTTPException``: the same error must become a JSON ``detail`` for an
integrator and a Vietnamese page or fragment for an officer.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict
from pydantic import Field as PydanticField
from sqlalchemy.exc import DataError, DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FieldError:
    """One problem with one field; ``code`` is stable for machines, ``message`` is for people."""

    field: str
    code: str
    message: str


@dataclass
class AppError(Exception):
    message: str
    code: str = "error"
    errors: list[FieldError] = field(default_factory=list)
    status_code: int = 400
    headers: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        return self.message

    def to_detail(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "message": self.message,
            "errors": [asdict(e) for e in self.errors],
        }


class NotFound(AppError):
    def __init__(self, message: str, code: str = "not_found") -> None:
        super().__init__(message=message, code=code, status_code=404)


class Conflict(AppError):
    def __init__(
        self, message: str, code: str = "conflict", errors: list[FieldError] | None = None
    ) -> None:
        super().__init__(message=message, code=code, errors=errors or [], status_code=409)


class Invalid(AppError):
    """Bad input that passed the schema but breaks a rule (422, with the offending fields)."""

    def __init__(self, errors: list[FieldError], message: str = "Dữ liệu không hợp lệ.") -> None:
        super().__init__(message=message, code="invalid", errors=errors, status_code=422)

    @classmethod
    def one(cls, field_name: str, code: str, message: str) -> Invalid:
        return cls([FieldError(field_name, code, message)], message=message)


class Forbidden(AppError):
    def __init__(self, message: str, code: str = "forbidden") -> None:
        super().__init__(message=message, code=code, status_code=403)


class Unauthorized(AppError):
    """No valid credentials: log in (pages) or send ``Authorization: Bearer …`` (API)."""

    def __init__(
        self,
        message: str = "Bạn cần đăng nhập (hoặc gửi mã truy cập) để dùng chức năng này.",
        code: str = "unauthenticated",
    ) -> None:
        super().__init__(
            message=message,
            code=code,
            status_code=401,
            headers={"WWW-Authenticate": 'Bearer realm="partrack"'},
        )


class TooManyRequests(AppError):
    def __init__(self, message: str, *, retry_after_seconds: int, code: str = "throttled") -> None:
        super().__init__(
            message=message,
            code=code,
            status_code=429,
            headers={"Retry-After": str(max(1, retry_after_seconds))},
        )


class ServiceUnavailable(AppError):
    """The database cannot be reached right now; the client may try again shortly."""

    def __init__(
        self,
        message: str = "Hệ thống tạm thời không kết nối được cơ sở dữ liệu; vui lòng thử lại sau "
        "ít giây.",
        code: str = "database_unavailable",
        retry_after_seconds: int = 5,
    ) -> None:
        super().__init__(
            message=message,
            code=code,
            status_code=503,
            headers={"Retry-After": str(retry_after_seconds)},
        )


# Vietnamese wording for pydantic's error types; anything unlisted falls back to a generic line.
_PYDANTIC_MESSAGES: dict[str, str] = {
    "missing": "Thiếu trường bắt buộc.",
    "extra_forbidden": "Trường này không được chấp nhận.",
    "string_type": "Phải là chuỗi ký tự.",
    "string_too_short": "Không được để trống.",
    "string_too_long": "Quá dài (tối đa {max_length} ký tự).",
    "string_pattern_mismatch": "Không đúng định dạng.",
    "int_parsing": "Phải là số nguyên.",
    "int_type": "Phải là số nguyên.",
    "int_from_float": "Phải là số nguyên.",
    "float_parsing": "Phải là một số.",
    "float_type": "Phải là một số.",
    "finite_number": "Không chấp nhận NaN hoặc vô cực.",
    "greater_than_equal": "Phải lớn hơn hoặc bằng {ge}.",
    "greater_than": "Phải lớn hơn {gt}.",
    "less_than_equal": "Phải nhỏ hơn hoặc bằng {le}.",
    "less_than": "Phải nhỏ hơn {lt}.",
    "bool_parsing": "Phải là true hoặc false.",
    "bool_type": "Phải là true hoặc false.",
    "date_from_datetime_parsing": "Ngày không hợp lệ (dạng YYYY-MM-DD).",
    "date_parsing": "Ngày không hợp lệ (dạng YYYY-MM-DD).",
    "date_type": "Ngày không hợp lệ (dạng YYYY-MM-DD).",
    "enum": "Giá trị không hợp lệ; chấp nhận: {expected}.",
    "literal_error": "Giá trị không hợp lệ; chấp nhận: {expected}.",
    "list_type": "Phải là một danh sách.",
    "model_attributes_type": "Phải là một đối tượng JSON.",
    "dict_type": "Phải là một đối tượng JSON.",
    "json_invalid": "JSON không hợp lệ.",
    "url_parsing": "Địa chỉ URL không hợp lệ.",
    "url_scheme": "Địa chỉ URL phải bắt đầu bằng http:// hoặc https://.",
}


def _field_path(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in {"body", "query", "path", "header"}:
        parts = parts[1:]
    return ".".join(parts) or "body"


def translate_validation_errors(errors: Sequence[Mapping[str, Any]]) -> list[FieldError]:
    """Pydantic's English errors become Vietnamese ones with the same field paths."""
    out: list[FieldError] = []
    for err in errors:
        kind = str(err.get("type", "value_error"))
        ctx = err.get("ctx") or {}
        template = _PYDANTIC_MESSAGES.get(kind)
        if kind == "value_error" and ctx.get("error") is not None:
            message = str(ctx["error"])  # our own validators already speak Vietnamese
        elif ctx.get("message_vi") is not None:
            message = str(ctx["message_vi"])  # ours too, with a code of their own
        elif template is not None:
            try:
                message = template.format(**ctx)
            except (KeyError, IndexError):
                message = template
        else:
            message = f"Giá trị không hợp lệ ({err.get('msg', kind)})."
        loc = tuple(err.get("loc", ()))
        if ctx.get("field") is not None:  # a model-wide check naming the field it refused
            loc = (*loc, str(ctx["field"]))
        out.append(FieldError(_field_path(loc), kind, message))
    return out


def is_api_request(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _html_error(
    request: Request, status: int, message: str, errors: Sequence[FieldError] = ()
) -> Response:
    from app.templating import render_error_page

    return render_error_page(request, status=status, message=message, errors=errors)


async def _app_error_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, AppError)
    return _error_response(request, exc)


async def _validation_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    error = Invalid(translate_validation_errors(list(exc.errors())))
    if is_api_request(request):
        return JSONResponse({"detail": error.to_detail()}, status_code=422)
    return _html_error(request, 422, error.message, error.errors)


_HTTP_MESSAGES = {
    404: "Không tìm thấy trang hoặc dữ liệu được yêu cầu.",
    405: "Phương thức không được hỗ trợ cho địa chỉ này.",
    413: "Dữ liệu gửi lên quá lớn.",
}


async def _http_error_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    message = _HTTP_MESSAGES.get(exc.status_code, str(exc.detail))
    if is_api_request(request):
        detail = {"code": f"http_{exc.status_code}", "message": message, "errors": []}
        return JSONResponse({"detail": detail}, status_code=exc.status_code, headers=exc.headers)
    return _html_error(request, exc.status_code, message)


_TOO_LARGE = "Số quá lớn (vượt giới hạn mà cơ sở dữ liệu lưu được)."
_UNSTORABLE = "Giá trị gửi lên không lưu được (số quá lớn hoặc có ký tự không hợp lệ)."


def _error_response(request: Request, error: AppError) -> Response:
    """The one place an error becomes an answer: JSON ``detail`` under ``/api``, else a page."""
    if is_api_request(request):
        return JSONResponse(
            {"detail": error.to_detail()}, status_code=error.status_code, headers=error.headers
        )
    response = _html_error(request, error.status_code, error.message, error.errors)
    response.headers.update(error.headers)
    return response


#: SQLSTATEs of a transaction the database rolled back because another one wrote the same rows
#: at the same moment: serialization_failure, deadlock_detected (PostgreSQL, class 40).
_WRITE_RACE_STATES = frozenset({"40001", "40P01"})


class WriteRace(AppError):
    """Two writers locked the same rows in opposite orders and the database gave up on one:
    nothing of this request was written, and sending it again will most likely go through."""

    def __init__(self) -> None:
        super().__init__(
            message="Cùng lúc đó có người khác đang ghi cùng các số liệu này; không có gì được "
            "ghi. Hãy gửi lại sau giây lát.",
            code="write_race",
            status_code=409,
            headers={"Retry-After": "1"},
        )


def is_write_race(exc: BaseException) -> bool:
    """A deadlock or a serialization failure: psycopg reports it as an ``OperationalError``,
    like a lost connection, but the database is there and the request itself lost a race."""
    orig = exc.orig if isinstance(exc, DBAPIError) else exc
    return getattr(orig, "sqlstate", None) in _WRITE_RACE_STATES


def is_connection_lost(exc: BaseException) -> bool:
    """A database that went away (restart, failover, a killed backend, a locked SQLite file)
    rather than a statement that is wrong: the same request may well succeed in a moment."""
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    if isinstance(exc, OperationalError):
        return True
    # psycopg's own, raised outside SQLAlchemy (a COPY's answer): only where psycopg is loaded,
    # which a process on SQLite never does (``app.db_postgres``).
    psycopg = sys.modules.get("psycopg")
    return psycopg is not None and isinstance(exc, psycopg.OperationalError)


async def _database_error_handler(request: Request, exc: Exception) -> Response:
    """Lost connections become a 503 with ``Retry-After`` (the pool's pre-ping replaces the dead
    connections on the next checkout); a value the column cannot hold (an integer past 64 bits,
    NUL in a PostgreSQL text) is the client's 422; anything else is a bug, answered as a 500 in
    our shape and logged. A deadlock, also an ``OperationalError``, is a 409 (``WriteRace``)."""
    if is_write_race(exc):
        log.warning("write race during %s %s: %s", request.method, request.url, exc)
        return _error_response(request, WriteRace())
    if is_connection_lost(exc):
        log.warning("database connection lost during %s %s: %s", request.method, request.url, exc)
        return _error_response(request, ServiceUnavailable())
    if isinstance(exc, DataError):
        error = Invalid([FieldError("body", "unstorable", _UNSTORABLE)], message=_UNSTORABLE)
        return _error_response(request, error)
    raise exc  # a bug: the server-error handler answers it in our shape


async def _pool_timeout_handler(request: Request, exc: Exception) -> Response:
    """Every pooled connection stayed busy for the pool's whole wait: the server is overloaded
    for a moment, which is a 503 with ``Retry-After`` like a lost database, not a bug's 500."""
    log.warning("no database connection free during %s %s: %s", request.method, request.url, exc)
    return _error_response(
        request,
        ServiceUnavailable(
            "Hệ thống đang quá tải; vui lòng thử lại sau ít giây.", code="server_busy"
        ),
    )


async def _overflow_handler(request: Request, exc: Exception) -> Response:
    """The sqlite3 driver refuses an integer past 64 bits with ``OverflowError`` before SQLAlchemy
    sees it; every route bounds its numbers, this is the net under a bound someone forgot."""
    error = Invalid([FieldError("body", "out_of_range", _TOO_LARGE)], message=_TOO_LARGE)
    return _error_response(request, error)


async def _server_error_handler(request: Request, exc: Exception) -> Response:
    """A bug still answers in our JSON or page shape, never Starlette's plain-text 500. A lost
    connection that SQLAlchemy did not wrap (psycopg's own ``OperationalError``, whose class is
    not imported on SQLite to register a handler for) is still a 503."""
    if is_write_race(exc) or is_connection_lost(exc):
        return await _database_error_handler(request, exc)
    log.error("unhandled error on %s %s", request.method, request.url, exc_info=exc)
    error = AppError(
        message="Đã xảy ra lỗi không mong muốn trên máy chủ; lỗi đã được ghi lại.",
        code="server_error",
        status_code=500,
    )
    return _error_response(request, error)


_NUL_MESSAGE = "Địa chỉ hoặc tham số chứa ký tự NUL (\\x00), không được chấp nhận."


class RefuseNulBytes:
    """Refuses a ``\\x00`` anywhere in the path or the query string with a 422 before routing.

    No code or name of ours contains NUL; PostgreSQL cannot store it in text and file paths
    cannot hold it, so letting it reach a route only turns a typo or a probe into a 500.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            bad = _nul_field(scope)
            if bad is not None:
                request = Request(scope, receive)
                error = Invalid.one(bad, "nul_character", _NUL_MESSAGE)
                await _error_response(request, error)(scope, receive, send)
                return
        await self.app(scope, receive, send)


def _nul_field(scope: Scope) -> str | None:
    """The field holding a NUL: ``path``, a query parameter's name, or ``None`` when clean."""
    raw_path: bytes = scope.get("raw_path") or b""
    if "\x00" in scope.get("path", "") or b"%00" in raw_path or b"\x00" in raw_path:
        return "path"
    query: bytes = scope.get("query_string", b"")
    if b"%00" not in query and b"\x00" not in query:
        return None
    for name, value in parse_qsl(query.decode("latin-1"), keep_blank_values=True):
        if "\x00" in name or "\x00" in value:
            return name.replace("\x00", "") or "query"
    return "query"


class ErrorItem(BaseModel):
    """What ``FieldError`` looks like on the wire."""

    field: str = PydanticField(description="Dotted path of the field, `body` for the whole.")
    code: str = PydanticField(description="Stable, for programs (`missing`, `stale_version`).")
    message: str = PydanticField(description="Vietnamese, for people.")


class ErrorDetail(BaseModel):
    model_config = ConfigDict(extra="allow")

    code: str = PydanticField(description="Stable error code (`not_found`, `invalid`, …).")
    message: str = PydanticField(description="Vietnamese message for people.")
    errors: list[ErrorItem] = PydanticField(description="One entry per offending field.")


class ErrorResponse(BaseModel):
    """Every error of the JSON API: ``{"detail": {"code", "message", "errors": […]}}``."""

    detail: ErrorDetail


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(AppError, _app_error_handler)
    app.add_exception_handler(RequestValidationError, _validation_handler)
    app.add_exception_handler(StarletteHTTPException, _http_error_handler)
    app.add_exception_handler(DBAPIError, _database_error_handler)
    app.add_exception_handler(PoolTimeout, _pool_timeout_handler)
    app.add_exception_handler(OverflowError, _overflow_handler)
    app.add_exception_handler(Exception, _server_error_handler)
    app.add_middleware(RefuseNulBytes)
