"""The workspace is compiled against types generated from the gateway's OpenAPI document:
the committed document and types must be what the code produces today (`make web-api-types`)."""
from __future__ import annotations

import json
import shutil
import subprocess

from services.gateway.openapi import build_openapi, routes_of
from services.gateway.service import GatewayService
from shared.config import ROOT

WEB = ROOT / "web"


def test_the_committed_openapi_document_is_the_codes():
    committed = json.loads((WEB / "openapi.json").read_text())
    assert committed == json.loads(json.dumps(build_openapi(routes_of(GatewayService)))), \
        "web/openapi.json is stale: run `make web-api-types`"


def test_the_committed_api_types_are_generated_from_that_document(tmp_path):
    assert shutil.which("node"), "node is needed to build the workspace"
    out = tmp_path / "api-types.ts"
    subprocess.run([str(WEB / "node_modules" / ".bin" / "openapi-typescript"), "openapi.json", "-o", str(out)],
                   cwd=WEB, check=True, capture_output=True, timeout=120)
    assert out.read_text() == (WEB / "src" / "lib" / "api-types.ts").read_text(), \
        "web/src/lib/api-types.ts is stale: run `make web-api-types`"
