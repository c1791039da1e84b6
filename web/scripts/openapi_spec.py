"""Print the gateway's OpenAPI document, built from the code (no server needed).

The workspace's API types are generated from it: `make web/src/lib/api-types.ts`.
"""
import json
import sys

from services.gateway.openapi import build_openapi, routes_of
from services.gateway.service import GatewayService

if __name__ == "__main__":
    document = build_openapi(routes_of(GatewayService))
    json.dump(document, sys.stdout, ensure_ascii=False, indent=1, sort_keys=True)
    sys.stdout.write("\n")
