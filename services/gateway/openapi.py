"""The OpenAPI 3.1 document, generated from the routes and their pydantic models.

Every route is an `ApiRoute` that names its body, query and response models; nothing here is
written by hand per route, so the document cannot drift from the code.
"""
from __future__ import annotations

import re
from typing import Iterable

from services.gateway import idempotency
from services.gateway.http import ApiRoute

PROBLEM = {
    "type": "object",
    "required": ["type", "title", "status"],
    "properties": {
        "type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"},
        "detail": {"type": "string"},
        "errors": {"type": "array", "items": {"type": "object", "properties": {
            "loc": {"type": "array", "items": {"type": "string"}}, "msg": {"type": "string"}}}},
    },
}
ERRORS = {
    "400": "The body is not JSON", "401": "No valid bearer token",
    "403": "The caller's role may not do this", "404": "Unknown, or outside the caller's scope",
    "409": "A duplicate, or a transition not allowed now (the body says what is)",
    "413": "The body is too large", "422": "Invalid input (errors name each field)",
    "503": "A dependency is down; retry after Retry-After seconds",
}
CONVERTERS = {"int": {"type": "integer"}, "float": {"type": "number"}}
RULE_PART = re.compile(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>")


def routes_of(service_cls) -> list[ApiRoute]:
    """The ApiRoute declarations of a service class (without starting a container)."""
    found = []
    for name in dir(service_cls):
        for extension in getattr(getattr(service_cls, name, None), "nameko_entrypoints", ()):
            if isinstance(extension, ApiRoute):
                extension.method_name = name
                found.append(extension)
    return found


class SchemaBook:
    """Collects each model's JSON Schema once under components/schemas."""

    def __init__(self):
        self.schemas: dict = {}

    def ref(self, model, mode: str = "validation") -> dict:
        """A body is described as it is read, an answer as it is written (`mode="serialization"`,
        with the aliases it is sent under)."""
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}", mode=mode)
        for name, definition in {**schema.pop("$defs", {}), model.__name__: schema}.items():
            self.add(name, definition)
        return {"$ref": f"#/components/schemas/{model.__name__}"}

    def add(self, name: str, schema: dict) -> None:
        # Two models of one name would overwrite each other's schema: refuse, so it is seen.
        if self.schemas.setdefault(name, schema) != schema:
            raise ValueError(f"two different models are both called {name}")


def path_of(rule: str) -> tuple[str, list[dict]]:
    params = []

    def replace(match):
        converter, name = match.group(1) or "string", match.group(2)
        params.append({"name": name, "in": "path", "required": True,
                       "schema": CONVERTERS.get(converter, {"type": "string"})})
        return "{" + name + "}"

    return RULE_PART.sub(replace, rule), params


def operation(route: ApiRoute, method: str, book: SchemaBook) -> dict:
    path, params = path_of(route.url)
    op: dict = {"operationId": route.method_name, "summary": route.summary or route.method_name}
    if route.query_model is not None:
        schema = route.query_model.model_json_schema(ref_template="#/components/schemas/{model}")
        for name, definition in schema.pop("$defs", {}).items():
            book.add(name, definition)
        required = set(schema.get("required", []))
        for name, prop in schema.get("properties", {}).items():
            params.append({"name": name, "in": "query", "required": name in required,
                           "schema": prop})
    if method == "POST" and not route.public:
        params.append(idempotency.OPENAPI_PARAMETER)
    if params:
        op["parameters"] = params
    if route.body_model is not None:
        op["requestBody"] = {"required": True, "content": {
            "application/json": {"schema": book.ref(route.body_model)}}}
    if route.produces == "application/json":
        answer = book.ref(route.response_model, mode="serialization")
    else:
        answer = {"type": "string"}
    success = ["200", "201"] if method == "POST" else ["200"]
    op["responses"] = {code: {"description": "OK" if code == "200" else "Created",
                              "content": {route.produces: {"schema": answer}}}
                       for code in success}
    if route.accepted_model is not None:
        op["responses"]["202"] = {"description": "Accepted: still being produced, poll again",
                                  "content": {"application/json": {"schema": book.ref(
                                      route.accepted_model, mode="serialization")}}}
    for code, text in ERRORS.items():
        op["responses"][code] = {"description": text, "content": {
            "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}
    if route.public:
        op["security"] = []
    else:
        op["description"] = "Roles: " + ", ".join(sorted(route.roles))
    return op


def build_openapi(routes: Iterable[ApiRoute], version: str = "1") -> dict:
    book = SchemaBook()
    paths: dict = {}
    for route in sorted(routes, key=lambda r: r.url):
        path, _ = path_of(route.url)
        for method in route.method.split(","):
            paths.setdefault(path, {})[method.lower()] = operation(route, method, book)
    book.schemas["Problem"] = PROBLEM
    return {
        "openapi": "3.1.0",
        "info": {"title": "Kuaiban (快办) API", "version": version,
                 "description": "The operations platform of a county's investment-attraction "
                                "teams. Errors are RFC 9457 problem+json."},
        "paths": paths,
        "components": {
            "schemas": book.schemas,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer",
                                           "bearerFormat": "JWT"}},
        },
        "security": [{"bearer": []}],
    }
