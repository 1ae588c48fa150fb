"""Error responses for the whole app: a Chinese page in the public frame, or JSON for the API
and for callers that asked for JSON. Registered by the app factory (`register_error_handlers`).

Every error says what happened and what to do next; an unexpected exception is logged with the
path and answered with a plain 500 that reveals nothing of the exception.
"""

from __future__ import annotations

import logging

from flask import Flask, Response, jsonify, make_response, render_template, request
from flask.globals import request_ctx
from werkzeug.exceptions import HTTPException

from .context import wants_json

log = logging.getLogger("policylib.web")

ERROR_TITLES = {
    400: "请求有误",
    401: "请先登录",
    403: "没有权限",
    404: "页面不存在",
    405: "不支持的请求方式",
    413: "提交的内容过大",
    429: "请求过于频繁",
    500: "服务器出错了",
    503: "服务暂时不可用",
}
ERROR_HINTS = {
    400: "请检查地址中的参数，或回到首页重新搜索。",
    404: "您访问的页面或文件不存在，可能地址有误或已被移除。可以回到首页搜索。",
    413: "提交的内容超过了允许的大小。请缩小文件后重试。",
    429: "请求过于频繁，请稍后再试。",
    500: "处理请求时发生错误，已记录。请稍后重试；如果一直出现，请联系网站管理员。",
    503: "系统正在维护或索引正在重建，请稍后重试。",
}


def error_body(code: int, message: str | None = None, param: str | None = None) -> dict:
    title = ERROR_TITLES.get(code, "出错了")
    return {
        "error": {
            "code": code,
            "title": title,
            "message": message or ERROR_HINTS.get(code, title),
            "param": param,
        }
    }


def error_response(code: int, message: str | None = None, param: str | None = None) -> Response:
    body = error_body(code, message, param)
    as_json = (
        request_ctx.url_adapter is None  # a Host outside TRUSTED_HOSTS: no links to draw a page
        or request.path.startswith("/api/")
        or request.path == "/healthz"
        or wants_json()
    )
    if as_json:
        resp = jsonify(body)
    else:
        resp = make_response(render_template("public/error.html", **body["error"]))
    resp.status_code = code
    return resp


def _is_chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def http_error(exc: HTTPException) -> Response:
    if exc.code is None or exc.code < 400:
        return exc  # type: ignore[return-value]
    message = (
        exc.description
        if isinstance(exc.description, str) and _is_chinese(exc.description)
        else None
    )
    resp = error_response(exc.code, message)
    if exc.code == 405 and exc.valid_methods:
        resp.headers["Allow"] = ", ".join(exc.valid_methods)
    return resp


def unexpected_error(exc: Exception) -> Response:
    log.exception("request failed path=%s error=%s", request.path, type(exc).__name__)
    return error_response(500)


def register_error_handlers(app: Flask) -> None:
    """Call once from the factory."""
    app.register_error_handler(HTTPException, http_error)
    app.register_error_handler(Exception, unexpected_error)
