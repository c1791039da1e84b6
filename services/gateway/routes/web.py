"""The web workspace (工作台): the built bundle of web/ served at / and at every non-API path.

Hashed files under /assets never change under their name, so browsers keep them for a year;
index.html is revalidated on every load so that a new build is picked up at once. Any other
path answers index.html, so that a deep link (/leads/123) still works after a reload.
"""
from __future__ import annotations

import mimetypes
from pathlib import Path

from werkzeug.wrappers import Response

from services.gateway.http import api
from shared.config import ROOT
from shared.errors import NotFound

WEB_DIST = ROOT / "web" / "dist"
ASSETS = WEB_DIST / "assets"
ONE_YEAR = "public, max-age=31536000, immutable"
# Paths that belong to the API or the platform: an unknown one is a 404, never the workspace.
NOT_THE_WORKSPACE = ("api/", "docs/", "openapi.json", "metrics", "healthz", "readyz")


def file_response(path: Path, cache_control: str) -> Response:
    content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    if content_type.startswith("text/") or content_type.endswith("javascript"):
        content_type += "; charset=utf-8"
    response = Response(path.read_bytes(), content_type=content_type)
    response.headers["Cache-Control"] = cache_control
    return response


def index_page() -> Response:
    index = WEB_DIST / "index.html"
    if not index.is_file():
        raise NotFound("the workspace is not built: run `make web`")
    return file_response(index, "no-cache")


class WebRoutes:
    @api("GET", "/", public=True, summary="The web workspace", produces="text/html")
    def web_index(self, request):
        return index_page()

    @api("GET", "/assets/<path:filename>", public=True,
         summary="The workspace's hashed files (cached for a year)",
         produces="application/octet-stream")
    def web_asset(self, request, filename):
        path = (ASSETS / filename).resolve()
        # Only files really inside the bundle's assets folder: no way out of it.
        if ASSETS.resolve() not in path.parents or not path.is_file():
            raise NotFound(f"no file {filename}")
        return file_response(path, ONE_YEAR)

    @api("GET", "/<path:page>", public=True,
         summary="Any other path: the workspace, which routes it in the browser",
         produces="text/html")
    def web_page(self, request, page):
        if page.startswith(NOT_THE_WORKSPACE):
            raise NotFound("没有这个地址")
        top = WEB_DIST / page
        # Files at the bundle's top (favicon.svg): served as they are, briefly cached.
        if "/" not in page and top.is_file() and page != "index.html":
            return file_response(top, "public, max-age=3600")
        return index_page()
