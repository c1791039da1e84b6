from __future__ import annotations

import logging
import secrets
from datetime import timedelta

from services.gateway import problems
from services.gateway.http import api, json_body, query_params
from services.gateway.repository import AccountsRepository
from services.gateway.routes import EVERYONE
from services.gateway.schemas import (
    AuditQuery, PasswordChange, TokenRequest, UserCreate, UserUpdate,
)
from services.gateway.tokens import TokenCodec, hash_password, password_matches
from services.gateway.views import (
    AuditPage, IssuedToken, PasswordChanged, UserPage, UserView,
)
from shared.clock import utcnow
from shared.errors import InvalidInput, NotFound
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
         response=IssuedToken,
         summary="Exchange a username and password for a bearer token")
    def issue_token(self, request):
        creds = validated(TokenRequest, json_body(request))
        now = utcnow()
        user = self.accounts.find(creds.username)
        if user is not None and user.get("locked_until") and user["locked_until"] > now:
            raise problems.AuthError(
                f"too many failed logins; locked until {user['locked_until'].isoformat()}")
        if user is None or user.get("disabled") or not password_matches(
            user["password_hash"], creds.password
        ):
            if user is not None:
                self.note_failed_login(user["_id"], now)
            raise problems.AuthError("wrong username or password")
        self.accounts.record_login(user["_id"], now)
        codec = TokenCodec.from_config(self.config)
        return {"access_token": codec.encode(user), "token_type": "bearer",
                "expires_in": codec.ttl_seconds}

    def note_failed_login(self, username: str, now) -> None:
        """After LOGIN_MAX_FAILURES wrong passwords in a row the account locks for a while."""
        failed = self.accounts.record_failed_login(username, now)
        if failed and failed["failed_logins"] >= int(self.config.get("LOGIN_MAX_FAILURES") or 5):
            minutes = int(self.config.get("LOGIN_LOCK_MINUTES") or 15)
            self.accounts.lock(username, now + timedelta(minutes=minutes))
            log.warning("account %s locked for %d minutes after repeated failed logins",
                        username, minutes)

    @api("POST", "/api/v1/me/password", roles=EVERYONE, body=PasswordChange,
         response=PasswordChanged,
         summary="Change the caller's password; every earlier token stops working")
    def change_password(self, request):
        body = validated(PasswordChange, json_body(request))
        user = self.accounts.find(request.principal["username"])
        if user is None or not password_matches(user["password_hash"], body.current_password):
            raise problems.AuthError("the current password is wrong")
        self.accounts.update_user(user["_id"], {"password_hash": hash_password(body.new_password)},
                                  revoke_tokens=True)
        return {"changed": True}

    @api("PATCH", "/api/v1/users/<string:username>", roles=("admin",), body=UserUpdate,
         response=UserView,
         summary="Edit, disable or reset an account; its tokens stop working")
    def update_user(self, request, username):
        body = validated(UserUpdate, json_body(request))
        changes = body.model_dump(exclude_unset=True)
        if "password" in changes:
            changes["password_hash"] = hash_password(changes.pop("password"))
        if not changes:
            raise InvalidInput("nothing to change", {"errors": [
                {"loc": ["body"], "msg": "give at least one field"}]})
        changes["updated_at"] = utcnow()
        return user_view(self.accounts.update_user(username, changes, revoke_tokens=True))

    @api("GET", "/api/v1/audit", roles=("admin", "inspector"), query=AuditQuery,
         response=AuditPage,
         summary="Who changed what, when: the append-only audit trail")
    def audit_trail(self, request):
        q = validated(AuditQuery, query_params(request), ("query",))
        query = {k: v for k, v in {"object_id": q.object_id, "actor": q.actor}.items() if v}
        entries, total = self.accounts.audit_page(query, q.page, q.page_size)
        return page_of([jsonable({"id": str(e.pop("_id")), **e}) for e in entries], total, q)

    @api("GET", "/api/v1/me", roles=EVERYONE, response=UserView, summary="The caller's account")
    def me(self, request):
        user = self.accounts.find(request.principal["username"])
        if user is None:
            raise NotFound("this account no longer exists")
        return user_view(user)

    @api("POST", "/api/v1/users", roles=("admin",), body=UserCreate, response=UserView,
         summary="Create an account")
    def create_user(self, request):
        body = validated(UserCreate, json_body(request))
        user = {
            "_id": body.username, "display_name": body.display_name, "role": body.role,
            "team_id": body.team_id, "branch_id": body.branch_id, "department": body.department,
            "password_hash": hash_password(body.password), "disabled": False,
            "created_at": utcnow(), "created_by": request.principal["username"],
        }
        return 201, user_view(self.accounts.create(user))

    @api("GET", "/api/v1/users", roles=("admin",), query=PageQuery, response=UserPage,
         summary="List accounts")
    def list_users(self, request):
        q = validated(PageQuery, query_params(request), ("query",))
        users, total = self.accounts.page_of_users(q.page, q.page_size)
        return page_of([user_view(u) for u in users], total, q)
