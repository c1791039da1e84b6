"""The gateway's routes, one mixin class per area; service.py assembles them.

Each area keeps its own RPC proxies and handlers, so that areas grow without touching
each other. Every handler: validate what it must, call one service, shape the answer.
"""
from services.gateway.schemas import ROLES

EVERYONE = ROLES
