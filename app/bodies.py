"""Reading a request body that must keep arriving: the idle gap, the deadline and the size cap.

A core module because two domains receive files: the imports (``uploads``) and the evidence
of a task's update (``progress``), and neither may import the other without closing an import
cycle. A sender at one byte a second must meet the same 408 on both, and a body past its cap
the same refusal as it arrives, whatever its headers declared.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from app.errors import AppError
from app.formatting import format_number

Message = MutableMapping[str, Any]  # Starlette's ASGI message type
Receive = Callable[[], Awaitable[Message]]


class UploadTimeout(AppError):
    """408: the body stopped arriving, or took longer than the deadline."""

    def __init__(self, message: str) -> None:
        super().__init__(message=message, code="upload_timeout", status_code=408)


def _seconds_vi(seconds: float) -> str:
    return format_number(seconds, 0 if float(seconds).is_integer() else 1)


def _late(deadline: float) -> UploadTimeout:
    return UploadTimeout(
        f"Tệp gửi lên quá chậm: chưa nhận xong sau {_seconds_vi(deadline)} giây. Hãy kiểm tra "
        "kết nối mạng, hoặc chia thành nhiều tệp nhỏ hơn rồi gửi lại."
    )


def timed_receive(
    receive: Receive,
    *,
    idle: float,
    deadline: float,
    max_bytes: int | None = None,
    too_large: Callable[[], Exception] | None = None,
) -> Receive:
    """``receive`` that gives up after ``idle`` seconds without a message, or once ``deadline``
    seconds have passed since the first call: a sender that stalls must not keep its upload
    (and its spool) open for as long as it likes. With ``max_bytes``, a body that grows past it
    is refused as it arrives with ``too_large()`` (each caller words its own 413)."""
    loop = asyncio.get_running_loop()
    ends_at = loop.time() + deadline
    received = 0

    async def guarded() -> Message:
        nonlocal received
        remaining = ends_at - loop.time()
        if remaining <= 0:
            raise _late(deadline)
        wait = min(idle, remaining)
        try:
            async with asyncio.timeout(wait):
                message = await receive()
        except TimeoutError:
            if wait < idle:
                raise _late(deadline) from None
            raise UploadTimeout(
                f"Tệp gửi lên bị ngắt quãng: quá {_seconds_vi(idle)} giây không nhận thêm được "
                "dữ liệu. Hãy kiểm tra kết nối mạng rồi gửi lại."
            ) from None
        received += len(message.get("body", b""))
        if max_bytes is not None and received > max_bytes:
            if too_large is None:
                raise AppError(
                    message="Dữ liệu gửi lên quá lớn.", code="payload_too_large", status_code=413
                )
            raise too_large()
        return message

    return guarded
