"""The gateway: HTTP in, RPC to the services, JSON (or problem+json) out.

Each handler validates what it must, calls one service, and shapes the answer.
"""
from __future__ import annotations

import logging
import secrets

import eventlet
from kombu import Connection
from nameko.dependency_providers import Config
from nameko.rpc import RpcProxy

from services.gateway import problems
from services.gateway.http import api, json_body, query_params
from services.gateway.repository import AccountsRepository
from services.gateway.schemas import ROLES, TokenRequest, UserCreate
from services.gateway.tokens import TokenCodec, hash_password, password_matches
from shared.clock import utcnow
from shared.errors import NotFound
from shared.jsonable import jsonable
from shared.schemas import PageQuery, page_of, validated
from shared.storage import Storage

log = logging.getLogger(__name__)

RPC_TIMEOUT_SECONDS = 5
EVERYONE = ROLES
WRITERS_OF_LEADS = ("admin", "leader", "team_member", "branch_member")


def bootstrap_admin(accounts: AccountsRepository, config: dict) -> None:
    """Create the first admin from KUAIBAN_ADMIN_PASSWORD (or a generated password, logged once)."""
    password = config.get("ADMIN_PASSWORD")
    if accounts.find("admin") is not None:
        return
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


def scoped_lead_filters(principal: dict, filters: dict) -> dict:
    """A team member sees the own team's leads; a branch member the leads the branch sourced."""
    if principal["role"] == "team_member":
        return {**filters, "team_id": principal.get("team_id") or "-"}
    if principal["role"] == "branch_member":
        return {**filters, "branch_id": principal.get("branch_id") or "-"}
    return filters


def may_see_lead(principal: dict, lead: dict) -> bool:
    if principal["role"] == "team_member":
        return lead.get("team_id") == principal.get("team_id")
    if principal["role"] == "branch_member":
        return lead.get("source_branch_id") == principal.get("branch_id")
    return True


class GatewayService:
    name = "gateway"

    accounts = Storage(AccountsRepository, on_start=bootstrap_admin)
    config = Config()
    leads = RpcProxy("leads")
    teams = RpcProxy("teams")
    branches = RpcProxy("branches")
    policy = RpcProxy("policy")
    sla = RpcProxy("sla")
    supervision = RpcProxy("supervision")
    notifier = RpcProxy("notifier")

    def call(self, proxy, method: str, *args):
        """An RPC that gives up after RPC_TIMEOUT_SECONDS (answered as 503), never hangs."""
        with eventlet.Timeout(RPC_TIMEOUT_SECONDS):
            return getattr(proxy, method)(*args)

    # -- health -------------------------------------------------------------------------
    @api("GET", "/healthz", public=True)
    def healthz(self, request):
        return {"status": "ok"}

    @api("GET", "/readyz", public=True)
    def readyz(self, request):
        checks = {"broker": "ok", "database": "ok"}
        try:
            with eventlet.Timeout(3):
                with Connection(self.config["AMQP_URI"], connect_timeout=2) as conn:
                    conn.ensure_connection(max_retries=1)
        except BaseException as exc:  # eventlet.Timeout is not an Exception
            checks["broker"] = f"unreachable: {type(exc).__name__}"
        try:
            self.accounts.ping()
        except Exception as exc:
            checks["database"] = f"unreachable: {type(exc).__name__}"
        if any(v != "ok" for v in checks.values()):
            return problems.problem(503, "Not ready", "a dependency is unreachable",
                                    {"Retry-After": str(problems.RETRY_AFTER_SECONDS)},
                                    checks=checks)
        return {"status": "ready", "checks": checks}

    # -- accounts -----------------------------------------------------------------------
    @api("POST", "/api/v1/auth/token", public=True)
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

    @api("GET", "/api/v1/me", roles=EVERYONE)
    def me(self, request):
        user = self.accounts.find(request.principal["username"])
        if user is None:
            raise NotFound("this account no longer exists")
        return user_view(user)

    @api("POST", "/api/v1/users", roles=("admin",))
    def create_user(self, request):
        body = validated(UserCreate, json_body(request))
        user = {
            "_id": body.username, "display_name": body.display_name, "role": body.role,
            "team_id": body.team_id, "branch_id": body.branch_id, "department": body.department,
            "password_hash": hash_password(body.password), "disabled": False,
            "created_at": utcnow(), "created_by": request.principal["username"],
        }
        return 201, user_view(self.accounts.create(user))

    @api("GET", "/api/v1/users", roles=("admin",))
    def list_users(self, request):
        q = validated(PageQuery, query_params(request), ("query",))
        users, total = self.accounts.page_of_users(q.page, q.page_size)
        return page_of([user_view(u) for u in users], total, q)

    # -- leads --------------------------------------------------------------------------
    @api("POST", "/api/v1/leads", roles=WRITERS_OF_LEADS)
    def create_lead(self, request):
        body = json_body(request)
        return 201, self.call(self.leads, "create", body, request.principal["username"])

    @api("GET", "/api/v1/leads", roles=EVERYONE)
    def list_leads(self, request):
        filters = scoped_lead_filters(request.principal, query_params(request))
        return self.call(self.leads, "list", filters)

    @api("GET", "/api/v1/leads/<string:lead_id>", roles=EVERYONE)
    def get_lead(self, request, lead_id):
        lead = self.call(self.leads, "get", lead_id)
        if not may_see_lead(request.principal, lead):
            raise NotFound(f"no lead {lead_id}")  # 404, not 403: ids leak nothing
        return lead

    # -- teams and branches -------------------------------------------------------------
    @api("GET", "/api/v1/teams", roles=EVERYONE)
    def list_teams(self, request):
        return self.call(self.teams, "list_teams")

    @api("GET", "/api/v1/teams/<string:team_id>", roles=EVERYONE)
    def get_team(self, request, team_id):
        return self.call(self.teams, "get_team", team_id)

    @api("GET", "/api/v1/branches", roles=EVERYONE)
    def list_branches(self, request):
        return self.call(self.branches, "list_branches")

    @api("GET", "/api/v1/branches/<string:branch_id>", roles=EVERYONE)
    def get_branch(self, request, branch_id):
        return self.call(self.branches, "get_branch", branch_id)

    # -- requests, clocks, problems, inbox ----------------------------------------------
    @api("GET", "/api/v1/policy-requests", roles=EVERYONE)
    def list_policy_requests(self, request):
        return self.call(self.policy, "list_requests", query_params(request))

    @api("GET", "/api/v1/sla/clocks", roles=EVERYONE)
    def list_clocks(self, request):
        return self.call(self.sla, "list_clocks", query_params(request))

    @api("GET", "/api/v1/problems", roles=EVERYONE)
    def list_problems(self, request):
        return self.call(self.supervision, "list_problems", query_params(request))

    @api("GET", "/api/v1/notifications", roles=EVERYONE)
    def list_notifications(self, request):
        query = {**query_params(request), "recipient": request.principal["username"]}
        return self.call(self.notifier, "inbox", query)
