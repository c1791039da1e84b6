from __future__ import annotations

import logging
import secrets

from services.gateway import problems
from services.gateway.http import api, json_body, query_params
from services.gateway.repository import AccountsRepository
from services.gateway.routes import EVERYONE
from services.gateway.schemas import TokenRequest, UserCreate
from services.gateway.tokens import TokenCodec, hash_password, password_matches
from shared.clock import utcnow
from shared.errors import NotFound
from shared.jsonable import jsonable
from shared.schemas import PageQuery, page_of, validated

log = logging.getLogger(__name__)


def bootstrap_admin(accounts: AccountsRepository, config: dict) -> None:
    """Create the first admin from KUAIBAN_ADMIN_PASSWORD (or a generated password, logged once)."""
    if accounts.find("admin") is not None:
        return
    password = config.get("ADMIN_PASSWORD")
    if not password:
        password = secrets.token_urlsafe(12)
        log.warning("KUAIBAN_ADMIN_PASSWORD is not set; the admin password is %s", password)
    accounts.create_if_missing({
        "_id": "admin", "display_name": "Administrator", "role": "admin",
        "password_hash": hash_password(password), "created_at": utcnow(), "disabled": False,
    })


def user_view(user: dict) -> dict:
    return jsonable({
        "username": user["_id"],
        **{k: v for k, v in user.items() if k not in ("_id", "password_hash")},
    })


class AccountRoutes:
    @api("POST", "/api/v1/auth/token", public=True, body=TokenRequest,
         summary="Exchange a username and password for a bearer token")
    def issue_token(self, request):
        creds = validated(TokenRequest, json_body(request))
        user = self.accounts.find(creds.username)
        if user is None or user.get("disabled") or not password_matches(
            user["password_hash"], creds.password
        ):
            raise problems.AuthError("wrong username or password")
        codec = TokenCodec.from_config(self.config)
        return {"access_token": codec.encode(user), "token_type": "bearer",
                "expires_in": codec.ttl_seconds}

    @api("GET", "/api/v1/me", roles=EVERYONE, summary="The caller's account")
    def me(self, request):
        user = self.accounts.find(request.principal["username"])
        if user is None:
            raise NotFound("this account no longer exists")
        return user_view(user)

    @api("POST", "/api/v1/users", roles=("admin",), body=UserCreate, summary="Create an account")
    def create_user(self, request):
        body = validated(UserCreate, json_body(request))
        user = {
            "_id": body.username, "display_name": body.display_name, "role": body.role,
            "team_id": body.team_id, "branch_id": body.branch_id, "department": body.department,
            "password_hash": hash_password(body.password), "disabled": False,
            "created_at": utcnow(), "created_by": request.principal["username"],
        }
        return 201, user_view(self.accounts.create(user))

    @api("GET", "/api/v1/users", roles=("admin",), query=PageQuery, summary="List accounts")
    def list_users(self, request):
        q = validated(PageQuery, query_params(request), ("query",))
        users, total = self.accounts.page_of_users(q.page, q.page_size)
        return page_of([user_view(u) for u in users], total, q)
