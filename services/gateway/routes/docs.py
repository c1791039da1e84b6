"""The API's own description: /openapi.json, browsable /docs (served from local files: county
intranets often have no internet, so no CDN), and /metrics for Prometheus."""
from __future__ import annotations

import mimetypes
from pathlib import Path

import swagger_ui_bundle
from werkzeug.wrappers import Response

from functools import lru_cache

from services.gateway.http import api
from services.gateway.metrics import metrics_response
from services.gateway.openapi import build_openapi, routes_of
from services.gateway.views import OpenApiDocument
from shared.errors import NotFound

SWAGGER_DIR = Path(swagger_ui_bundle.swagger_ui_path)
DOCS_PAGE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>快办 Kuaiban API</title>
<link rel="stylesheet" href="/docs/static/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="/docs/static/swagger-ui-bundle.js"></script>
<script>window.ui = SwaggerUIBundle({url: "/openapi.json", dom_id: "#swagger-ui"});</script>
</body></html>"""


@lru_cache(maxsize=None)
def openapi_document(service_cls) -> dict:
    """Built once per process: the routes do not change while it runs."""
    return build_openapi(routes_of(service_cls))


class DocsRoutes:
    @api("GET", "/openapi.json", public=True, response=OpenApiDocument, summary="This document")
    def openapi(self, request):
        return openapi_document(type(self))

    @api("GET", "/docs", public=True, summary="Browsable API documentation",
         produces="text/html")
    def docs(self, request):
        return Response(DOCS_PAGE, content_type="text/html; charset=utf-8")

    @api("GET", "/docs/static/<string:filename>", public=True, summary="Files of /docs",
         produces="application/octet-stream")
    def docs_static(self, request, filename):
        path = SWAGGER_DIR / filename
        # Only files that are really in the bundle's folder: no way out of it.
        if path.parent != SWAGGER_DIR or not path.is_file():
            raise NotFound(f"no file {filename}")
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return Response(path.read_bytes(), content_type=content_type)

    @api("GET", "/metrics", public=True, summary="Prometheus metrics", produces="text/plain")
    def metrics(self, request):
        return metrics_response()
