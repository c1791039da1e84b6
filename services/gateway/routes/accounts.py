from __future__ import annotations

import logging
import secrets

from services.gateway import problems
from services.gateway.http import api, json_body, query_params
from services.gateway.repository import AccountsRepository
from services.gateway.routes import EVERYONE
from services.gateway.schemas import (
    AuditQuery, PasswordChange, TokenRequest, UserCreate, UserUpdate,
)
from services.gateway.throttle import TRUSTED_FOR, client_address, rules_from_config
from services.gateway.tokens import TokenCodec, hash_password, password_matches
from services.gateway.views import (
    AuditPage, IssuedToken, LeaderList, PasswordChanged, UserPage, UserView,
)
from shared.clock import utcnow
from shared.errors import InvalidInput, NotFound
from shared.jsonable import jsonable
from shared.schemas import PageQuery, page_of, validated
from shared.units import check_unit

log = logging.getLogger(__name__)


class TooManyAttempts(problems.KuaibanError):
    status = 429
    title = "Too many requests"


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


# An account as shown: an allow-list (never the hash, counters or token version).
USER_FIELDS = ("display_name", "role", "team_id", "branch_id", "department", "disabled",
               "created_at", "created_by", "updated_at", "last_login_at")
# Verified when the account is unknown or disabled, so that the answer takes as long as for a
# wrong password: the time tells nothing about which usernames exist.
DUMMY_HASH = hash_password(secrets.token_urlsafe(16))
# Who names a county leader: as a project's lead (四个一) or as a task's owner (督查室).
LEADER_LIST_READERS = ("admin", "inspector", "leader", "team_member")
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def user_view(user: dict) -> dict:
    return jsonable({"username": user["_id"], **{k: user.get(k) for k in USER_FIELDS}})


def new_account(body: UserCreate, created_by: str) -> dict:
    """The account as stored: the password only as its argon2 hash."""
    return {
        "_id": body.username, "display_name": body.display_name, "role": body.role,
        "team_id": body.team_id, "branch_id": body.branch_id, "department": body.department,
        "password_hash": hash_password(body.password), "disabled": False,
        "created_at": utcnow(), "created_by": created_by,
    }


def account_changes(body: UserUpdate) -> dict:
    """The fields an admin's edit sets (a new password as its hash); 422 for an empty edit."""
    changes = body.model_dump(exclude_unset=True)
    if "password" in changes:
        changes["password_hash"] = hash_password(changes.pop("password"))
    if not changes:
        raise InvalidInput("输入有误：请求体：请至少提交一个字段", {"errors": [
            {"loc": ["body"], "msg": "请求体：请至少提交一个字段"}]})
    changes["updated_at"] = utcnow()
    return changes


def password_counter(username: str) -> str:
    """The counter of wrong current passwords given by the account (POST /me/password)."""
    return f"password:{username}"


def token_response(codec: TokenCodec, user: dict):
    """The bearer token, never cached on the way."""
    return problems.json_response({"access_token": codec.encode(user), "token_type": "bearer",
                                   "expires_in": codec.ttl_seconds}, headers=NO_STORE)


class AccountRoutes:
    @api("POST", "/api/v1/auth/token", public=True, body=TokenRequest,
         response=IssuedToken,
         summary="Exchange a username and password for a bearer token")
    def issue_token(self, request):
        creds = validated(TokenRequest, json_body(request))
        now = utcnow()
        address = client_address(request, self.config.get("TRUSTED_PROXIES"))
        user = self.logged_in_account(creds, address, now)
        self.login_succeeded(user, address, now)
        return token_response(TokenCodec.from_config(self.config), user)

    def logged_in_account(self, creds: TokenRequest, address: str, now) -> dict:
        """The account the username and password are of, else 401: the same answer for an
        unknown, disabled, wrong or throttled account."""
        rules = rules_from_config(self.config)
        keys = self.throttle_keys(creds.username, address, now)
        # Counted before the password is checked; the first key that refuses ends the attempt.
        allowed = all(self.accounts.claim_attempt(key, rules[kind], now) for kind, key in keys)
        user = self.accounts.find(creds.username) if allowed else None
        usable = user is not None and not user.get("disabled")
        matches = password_matches(user["password_hash"] if usable else DUMMY_HASH,
                                   creds.password) if allowed else False
        if not (usable and matches):
            if not allowed:
                log.info("login for %r from %s throttled", creds.username, address)
            raise problems.AuthError("用户名或密码错误，或尝试过于频繁；请稍后再试")
        return user

    def login_succeeded(self, user: dict, address: str, now) -> None:
        """The account's counters start again; its pair with this address is trusted for
        TRUSTED_FOR (no account-wide counter from here), and the address gets its try back."""
        self.accounts.clear_attempts(f"account:{user['_id']}")
        self.accounts.clear_attempts(f"pair:{user['_id']}|{address}",
                                     trusted_until=now + TRUSTED_FOR)
        self.accounts.give_back_attempt(f"address:{address}")
        self.accounts.record_login(user["_id"], now)

    def throttle_keys(self, username: str, address: str, now) -> list[tuple[str, str]]:
        """The counters an attempt goes through: the address, the account from that address,
        and the account from anywhere unless this address is one it logged in from."""
        pair = f"pair:{username}|{address}"
        keys = [("address", f"address:{address}"), ("pair", pair)]
        known = self.accounts.attempt_counter(pair)
        if not (known and known.get("trusted_until") and known["trusted_until"] > now):
            keys.append(("account", f"account:{username}"))
        return keys

    @api("POST", "/api/v1/me/password", roles=EVERYONE, body=PasswordChange,
         response=PasswordChanged,
         summary="Change the caller's password; every earlier token stops working")
    def change_password(self, request):
        body = validated(PasswordChange, json_body(request))
        username = request.principal["username"]
        self.claim_password_attempt(username)
        user = self.account_with_password(username, body.current_password)
        self.accounts.clear_attempts(password_counter(username))
        self.accounts.update_user(user["_id"], {"password_hash": hash_password(body.new_password)},
                                  revoke_tokens=True)
        return {"changed": True}

    def claim_password_attempt(self, username: str) -> None:
        """One more try at the current password, or 429 with the seconds to wait."""
        now = utcnow()
        rule = rules_from_config(self.config)["password"]
        key = password_counter(username)
        if not self.accounts.claim_attempt(key, rule, now):
            wait = rule.retry_after(self.accounts.attempt_counter(key), now)
            raise TooManyAttempts(f"当前密码输错次数过多，请{wait}秒后再试",
                                  {"retry_after": wait})

    def account_with_password(self, username: str, password: str) -> dict:
        """The caller's account if `password` is its current one, else 401."""
        user = self.accounts.find(username)
        if user is None or not password_matches(user["password_hash"], password):
            raise problems.AuthError("当前密码不正确")
        return user

    @api("PATCH", "/api/v1/users/<string:username>", roles=("admin",), body=UserUpdate,
         response=UserView,
         summary="Edit, disable or reset an account; its tokens stop working")
    def update_user(self, request, username):
        body = validated(UserUpdate, json_body(request))
        check_unit(body.department, ["body", "department"])
        changes = account_changes(body)
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
            raise NotFound("该账户已不存在")
        return user_view(user)

    @api("GET", "/api/v1/leaders", roles=LEADER_LIST_READERS, response=LeaderList,
         summary="The county leaders' accounts (username, name): whom a project lead or a "
                 "leader's task names")
    def list_leaders(self, request):
        return [{"username": u["_id"], "display_name": u.get("display_name") or u["_id"]}
                for u in self.accounts.leaders()]

    @api("POST", "/api/v1/users", roles=("admin",), body=UserCreate, response=UserView,
         summary="Create an account")
    def create_user(self, request):
        body = validated(UserCreate, json_body(request))
        check_unit(body.department, ["body", "department"])
        user = new_account(body, request.principal["username"])
        return 201, user_view(self.accounts.create(user))

    @api("GET", "/api/v1/users", roles=("admin",), query=PageQuery, response=UserPage,
         summary="List accounts")
    def list_users(self, request):
        q = validated(PageQuery, query_params(request), ("query",))
        users, total = self.accounts.page_of_users(q.page, q.page_size)
        return page_of([user_view(u) for u in users], total, q)
