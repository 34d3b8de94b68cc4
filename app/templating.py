"""Server-side rendering: one template holds a page and its fragments as named blocks."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import pass_context
from jinja2_fragments.fastapi import Jinja2Blocks
from starlette.datastructures import URL, URLPath

from app.accounts.request_state import request_identity
from app.clock import VIETNAM_TZ
from app.config import ROOT_DIR
from app.formatting import format_input, format_number
from app.names import names_of
from app.periods import PeriodError, format_date_vi, parse_period

if TYPE_CHECKING:
    from app.errors import FieldError

templates = Jinja2Blocks(directory=str(ROOT_DIR / "templates"))


@pass_context
def url_for(context: dict[str, Any], name: str, /, **path_params: Any) -> URL:
    """Starlette's ``url_for`` with the route's URL remembered per base URL: finding ``static``
    walked every route of the app and raised an exception at each one that did not match, a
    third of what a small page cost (issue #20). The routes do not change once the app is built."""
    request: Request = context["request"]
    urls: dict[tuple[str, str, tuple[tuple[str, Any], ...]], URL] | None
    urls = getattr(request.app.state, "urls", None)
    if urls is None:
        urls = request.app.state.urls = {}
    base = str(request.base_url)
    key = (base, name, tuple(sorted(path_params.items())))
    url = urls.get(key)
    if url is None:  # the absolute URL too: making it was a tenth of a kept page (issue #20)
        provider = request.scope.get("router") or request.scope["app"]
        path: URLPath = provider.url_path_for(name, **path_params)
        url = path.make_absolute_url(base_url=request.base_url)
        if len(urls) > 4096:  # every Host header a client sends is a base: bounded
            urls.clear()
        urls[key] = url
    return url


templates.env.globals["url_for"] = url_for


def configure(*, reload: bool) -> None:
    """Whether a changed template file is read again (development): checking costs a ``stat``
    of every template a page uses, on every page."""
    templates.env.auto_reload = reload


def format_number_vi(value: float | int | None, digits: int = 1) -> str:
    """``98.5`` → ``98,5``; a whole value without decimals (``1.250``), others with ``digits``."""
    if value is None:
        return "—"
    return format_number(value, digits if value % 1 else 0)


def format_percent_vi(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{format_number_vi(value, digits)}%"


def format_date_filter(value: date | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        local = value.astimezone(VIETNAM_TZ)
        return f"{format_date_vi(local.date())} {local:%H:%M}"
    return format_date_vi(value)


def period_label(value: str) -> str:
    try:
        return parse_period(value).label_vi
    except PeriodError:
        return value


templates.env.filters["number_vi"] = format_number_vi
templates.env.filters["percent_vi"] = format_percent_vi
templates.env.filters["date_vi"] = format_date_filter
templates.env.filters["period_vi"] = period_label
templates.env.filters["number_input"] = format_input


def is_partial_request(request: Request) -> bool:
    """htmx 4 says ``HX-Request-Type: partial`` for a fragment; plain ``HX-Request`` also counts."""
    kind = request.headers.get("HX-Request-Type")
    if kind is not None:
        return kind == "partial"
    return request.headers.get("HX-Request") == "true"


def render(
    request: Request,
    template: str,
    context: dict[str, Any],
    *,
    block: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """The whole page, or only ``block`` when htmx asked for a fragment."""
    block_name = block if block and is_partial_request(request) else None
    identity = request_identity(request)
    context = {
        "identity": identity,
        "csrf_token": identity.csrf_token if identity is not None else "",
        "names": names_of(request),
        "ward_header": getattr(request.state, "ward_header", None),
        "survey_ward": getattr(request.state, "survey_ward", None),
        **context,
    }
    response = templates.TemplateResponse(
        request, template, context, status_code=status_code, block_name=block_name
    )
    # jinja2-fragments declares a plain Response; it always builds an HTMLResponse (a block)
    # or starlette's _TemplateResponse (an HTMLResponse too).
    assert isinstance(response, HTMLResponse)
    response.headers["Vary"] = "HX-Request, HX-Request-Type"
    return response


_TITLES = {
    403: "Không có quyền truy cập",
    404: "Không tìm thấy",
    409: "Dữ liệu đã thay đổi",
    401: "Cần đăng nhập",
    413: "Dữ liệu quá lớn",
    429: "Tạm khóa đăng nhập",
    422: "Dữ liệu chưa hợp lệ",
}


def render_error_page(
    request: Request, *, status: int, message: str, errors: Sequence[FieldError] = ()
) -> HTMLResponse:
    """The error page; ``errors`` names each refused field, as the API's ``detail.errors`` does,
    so that a person who edited an address (or followed a broken link) sees what to change."""
    title = _TITLES.get(status, "Đã xảy ra lỗi")
    return render(
        request,
        "error.html",
        {"title": title, "message": message, "status": status, "errors": errors},
        block="content",
        status_code=status,
    )
