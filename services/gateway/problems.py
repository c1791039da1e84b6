"""Errors as RFC 9457 problem+json: one table from exception to HTTP status."""
from __future__ import annotations

import json
import logging

import amqp.exceptions
import eventlet
from kombu.exceptions import OperationalError
from nameko.exceptions import RemoteError, UnknownService
from pymongo.errors import ConnectionFailure, ExecutionTimeout
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from shared.errors import KuaibanError

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"
RETRY_AFTER_SECONDS = 5

# Failures of a service's database reach the gateway as RemoteError with these names.
DATABASE_DOWN = {
    "ServerSelectionTimeoutError", "AutoReconnect", "NetworkTimeout", "ConnectionFailure",
    "NotPrimaryError", "ExecutionTimeout", "WaitQueueTimeoutError",
}


class AuthError(KuaibanError):
    status = 401
    title = "Unauthorized"


class Forbidden(KuaibanError):
    status = 403
    title = "Forbidden"


class BadBody(KuaibanError):
    status = 400
    title = "Bad request"


class TooLarge(KuaibanError):
    status = 413
    title = "Content too large"


# werkzeug's own answers (unknown path, wrong method), in Chinese.
HTTP_DETAILS_ZH = {404: "没有这个地址", 405: "这个地址不支持该请求方法", 400: "请求无效",
                   413: "请求体过大"}


def json_response(payload, status: int = 200, headers: dict | None = None,
                  content_type: str = "application/json") -> Response:
    body = json.dumps(payload, ensure_ascii=False, default=str)
    return Response(body, status=status, headers=headers,
                    content_type=f"{content_type}; charset=utf-8")


def problem(status: int, title: str, detail: str, headers: dict | None = None,
            extra: dict | None = None) -> Response:
    # The standard members win over an extra field of the same name.
    body = {**(extra or {}), "type": "about:blank", "title": title, "status": status,
            "detail": detail}
    return json_response(body, status, headers, PROBLEM_JSON)


def unavailable(detail: str) -> Response:
    return problem(503, "Service unavailable", detail, {"Retry-After": str(RETRY_AFTER_SECONDS)})


def response_for(exc: BaseException) -> Response:
    if isinstance(exc, KuaibanError):
        headers = {"Retry-After": str(RETRY_AFTER_SECONDS)} if exc.status == 503 else None
        if exc.status == 401:
            headers = {"WWW-Authenticate": "Bearer"}
        if exc.status == 429 or (exc.status == 409 and exc.extra.get("retry_after")):
            headers = {"Retry-After": str(exc.extra.get("retry_after") or RETRY_AFTER_SECONDS)}
        return problem(exc.status, exc.title, exc.detail, headers, exc.extra)
    if isinstance(exc, RemoteError) and exc.exc_type in DATABASE_DOWN:
        return unavailable("数据库暂时无法连接，请稍后重试")
    if isinstance(exc, (ConnectionFailure, ExecutionTimeout)):  # the gateway's own database
        return unavailable("数据库暂时无法连接，请稍后重试")
    if isinstance(exc, (OperationalError, amqp.exceptions.ConnectionError, ConnectionError)):
        return unavailable("消息服务暂时无法连接，请稍后重试")
    if isinstance(exc, (UnknownService, eventlet.Timeout)):
        return unavailable("服务未能及时响应，请稍后重试")
    if isinstance(exc, OverflowError) or (
            isinstance(exc, RemoteError) and exc.exc_type == "OverflowError"):
        # A date at the end of the calendar (year 1, or 9999 plus a time zone).
        message = "日期超出可处理的范围（公元1年或9999年附近）"
        return problem(422, "Unprocessable content", message,
                       extra={"errors": [{"loc": ["query"], "msg": message}]})
    if isinstance(exc, HTTPException):
        return problem(exc.code or 500, exc.name, HTTP_DETAILS_ZH.get(exc.code, exc.description or ""))
    log.error("unexpected error", exc_info=exc)
    return problem(500, "Internal error", "发生意外错误，已记录在日志中")
