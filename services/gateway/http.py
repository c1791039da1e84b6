"""The gateway's HTTP entrypoint: JSON in and out, problem+json errors, and a rule per route.

Every route states who may call it (`roles=`) or that it is `public=True`; a route with
neither refuses to load, so that a new route cannot ship open. The caller's principal is
checked before a worker starts and handed to the handler as `request.principal`.
"""
from __future__ import annotations

import json
import time
import uuid

from nameko.web.handlers import HttpRequestHandler
from nameko.web.server import WebServer, WsgiApp
from werkzeug.exceptions import HTTPException, NotFound
from werkzeug.wrappers import Request, Response

from services.gateway import idempotency, problems
from services.gateway.metrics import observe_request
from services.gateway.records import GatewayRecords
from services.gateway.tokens import TokenCodec
from shared import rpc
from shared.idempotency import IDEMPOTENCY_CONTEXT_KEY
from shared.observability import CORRELATION_KEY
from shared.schemas import shown

MAX_BODY_BYTES = 1024 * 1024
MAX_JSON_DEPTH = 32  # deeper bodies are no real input and would exhaust recursion downstream
# On every answer: no sniffing of types, no framing by other sites, no scripts but our own.
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}
WORKSPACE_CATCH_ALL = "web_page"  # routes/web.py: any other path is the workspace's
API_CSP = "default-src 'none'; frame-ancestors 'none'"
PAGE_CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
            "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
            "form-action 'self'")


def secure(response, path: str):
    """The security headers; the API's answers may load nothing, pages (/docs, /) their own."""
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    page = not path.startswith("/api/") and "html" in (response.content_type or "")
    response.headers.setdefault("Content-Security-Policy", PAGE_CSP if page else API_CSP)
    return response


class ProblemWsgiApp(WsgiApp):
    """nameko's WSGI app, with unknown paths and wrong methods answered as problem+json."""

    def __call__(self, environ, start_response):
        adapter = self.url_map.bind_to_environ(environ)
        try:
            provider, values = adapter.match()
        except HTTPException as exc:
            if exc.code == 405 and only_the_workspace_matches(adapter):
                exc = NotFound()  # e.g. POST /api/v1/x/not-a-number: no route has that path
            headers = {"Allow": ", ".join(exc.valid_methods)} if getattr(
                exc, "valid_methods", None) else None
            response = problems.problem(
                exc.code, exc.name, problems.HTTP_DETAILS_ZH.get(exc.code, exc.description or ""),
                headers)
            return secure(response, environ.get("PATH_INFO", ""))(environ, start_response)
        request = Request(environ, shallow=True)
        request.path_values = values
        return provider.handle_request(request)(environ, start_response)


def only_the_workspace_matches(adapter) -> bool:
    """True when the path is matched by no route but the workspace's catch-all (GET any page):
    a POST there is a wrong path, not a wrong method."""
    try:
        provider, _ = adapter.match(method="GET")
    except HTTPException:
        return False
    return getattr(provider, "method_name", None) == WORKSPACE_CATCH_ALL


class ProblemWebServer(WebServer):
    def get_wsgi_app(self):
        return ProblemWsgiApp(self)

    def context_data_from_headers(self, request):
        """Each request's correlation id (the caller's X-Request-Id if sane, else a new one) and
        its deadline, which every RPC it causes carries (shared/rpc.py)."""
        if not getattr(request, "correlation_id", None):
            given = request.headers.get("X-Request-Id", "")
            ok = 0 < len(given) <= 64 and all(c.isalnum() or c in "-_." for c in given)
            request.correlation_id = given if ok else uuid.uuid4().hex
            budget = float(self.container.config.get("REQUEST_DEADLINE_SECONDS")
                           or rpc.REQUEST_DEADLINE_SECONDS)
            request.deadline = time.time() + budget
        return {CORRELATION_KEY: request.correlation_id, rpc.DEADLINE_KEY: request.deadline,
                **idempotency_context(request)}


def idempotency_context(request) -> dict:
    """A POST's Idempotency-Key goes with its RPCs, so the service's create is idempotent too."""
    key = getattr(request, "idempotency_key", None)
    return {IDEMPOTENCY_CONTEXT_KEY: key} if key else {}


class ApiRoute(HttpRequestHandler):
    """One route. `body`, `query` and `response` name pydantic models for the OpenAPI document;
    a JSON answer is passed through its `response` model, which every JSON route must declare."""

    server = ProblemWebServer()
    records = GatewayRecords()

    def __init__(self, method, url, roles=(), public=False, body=None, query=None,
                 response=None, summary="", produces="application/json", accepted=None,
                 **kwargs):
        if not public and not roles:
            raise ValueError(f"{method} {url}: declare roles=... or public=True")
        if produces == "application/json" and response is None:
            raise ValueError(f"{method} {url}: declare response=... (the model of its answer)")
        self.roles = frozenset(roles)
        self.public = public
        self.body_model, self.query_model, self.response_model = body, query, response
        self.summary = summary
        self.produces = produces  # the success answer's media type, for the OpenAPI document
        self.accepted_model = accepted  # the model of a 202 (work still under way), if any
        super().__init__(method, url, **kwargs)

    def setup(self):
        super().setup()
        self.tokens = TokenCodec.from_config(self.container.config)

    def handle_request(self, request):
        started = time.monotonic()
        self.server.context_data_from_headers(request)  # sets request.correlation_id
        try:
            request.principal = None if self.public else self.authorise(request)
        except Exception as exc:
            response = self.response_from_exception(exc)
        else:
            response = idempotency.answered_once(
                self.records, request, lambda: super(ApiRoute, self).handle_request(request))
            if self.method in WRITE_METHODS and 200 <= response.status_code < 300 \
                    and idempotency.REPLAYED_HEADER not in response.headers:
                self.audit(request, response)
        response.headers["X-Request-Id"] = request.correlation_id
        secure(response, request.path)
        observe_request(self.url, self.method, response.status_code, started)
        return response

    def audit(self, request, response) -> None:
        """Every successful write, with its author, for GET /audit (token issuing is no write)."""
        if request.principal is None:
            return
        after = response_json(response)
        object_id = next(iter(request.path_values.values()), None)
        if object_id is None and isinstance(after, dict):
            object_id = after.get("id") or after.get("username")
        self.records.record_write(
            principal=request.principal, method=self.method, rule=self.url, path=request.path,
            object_id=object_id, body=parsed_body(request), after=after,
            status=response.status_code, correlation_id=request.correlation_id,
        )

    def authorise(self, request):
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise problems.AuthError("需要 Bearer 令牌（Authorization: Bearer <token>）")
        principal = self.tokens.decode(token.strip())
        account = self.records.account(principal["username"])
        if account is None or account.get("disabled") or \
                account.get("token_version", 0) != principal["token_version"]:
            raise problems.AuthError("令牌已失效，请重新登录")
        if principal["role"] not in self.roles:
            raise problems.Forbidden(f"角色 {principal['role']} 无权执行 {self.method} {self.url}")
        return principal

    def response_from_result(self, result):
        if isinstance(result, Response):
            return result
        status, payload = result if isinstance(result, tuple) else (200, result)
        # The one place a result becomes an answer: only what the response model names is sent.
        return problems.json_response(shown(self.response_model, payload), status)

    def response_from_exception(self, exc):
        return problems.response_for(exc)


api = ApiRoute.decorator
WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def response_json(response):
    try:
        return json.loads(response.get_data(as_text=True) or "null")
    except ValueError:
        return None  # a PDF or another non-JSON answer


def parsed_body(request):
    raw = request.get_data(cache=True)
    if nesting_depth(raw) > MAX_JSON_DEPTH:
        return None
    try:
        return json.loads(raw.decode("utf-8")) if raw else None
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None


def json_body(request) -> object:
    """The request's JSON body; 413 when too large, 400 when not JSON."""
    if (request.content_length or 0) > MAX_BODY_BYTES:
        raise problems.TooLarge(f"请求体最多 {MAX_BODY_BYTES} 字节")
    raw = request.get_data(cache=True)
    if len(raw) > MAX_BODY_BYTES:
        raise problems.TooLarge(f"请求体最多 {MAX_BODY_BYTES} 字节")
    if nesting_depth(raw) > MAX_JSON_DEPTH:
        raise problems.BadBody(f"请求体嵌套过深（最多{MAX_JSON_DEPTH}层）")
    try:
        return json.loads(raw.decode("utf-8") or "null")
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise problems.BadBody(f"请求体不是 UTF-8 编码的 JSON：{exc}") from None


def nesting_depth(raw: bytes) -> int:
    """The deepest nesting of [ and { outside strings, counted without parsing (no recursion)."""
    depth = deepest = 0
    in_string = escaped = False
    for byte in raw:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):
            depth += 1
            deepest = max(deepest, depth)
        elif byte in (0x5D, 0x7D):
            depth -= 1
    return deepest


def query_params(request) -> dict:
    """Query parameters as plain strings (never objects, so none can become a MongoDB operator)."""
    return {key: request.args.get(key) for key in request.args.keys()}


def call(proxy, method: str, *args):
    """An RPC that gives up in time (Unavailable, answered as 503), never hangs: it gets at most
    what is left of the request's deadline, so a request of many calls keeps the 5 s promise."""
    return rpc.call(proxy, method, *args, timeout=rpc.GATEWAY_RPC_TIMEOUT_SECONDS)
