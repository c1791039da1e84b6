"""`python -m shared.healthcheck SERVICE`: exit 0 when SERVICE answers its `health` RPC.

Used by container health checks and by `make run` to wait for every service.
"""
from __future__ import annotations

import eventlet

eventlet.monkey_patch()  # noqa: E402

import sys  # noqa: E402

from nameko.standalone.rpc import ServiceRpcProxy  # noqa: E402

from shared.config import load_config  # noqa: E402


def check(service: str, config: dict, timeout: float = 5.0) -> dict:
    with ServiceRpcProxy(service, config, timeout=timeout) as proxy:
        return proxy.health()


def main(argv=None) -> int:
    args = argv if argv is not None else sys.argv[1:]
    if len(args) != 1:
        print("usage: python -m shared.healthcheck SERVICE", file=sys.stderr)
        return 2
    try:
        print(check(args[0], load_config()))
    except Exception as exc:  # any failure means not healthy
        print(f"{args[0]} is not healthy: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
