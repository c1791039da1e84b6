from __future__ import annotations

import base64

from werkzeug.wrappers import Response

from services.gateway.http import api, json_body, query_params
from services.policy.client import PolicyClient
from services.policy.schemas import (
    MeetingIn, PauseIn, PolicyRequestCreate, PolicyRequestPage, PolicyRequestView, ReplyIn,
    RequestFilter, RouteIn, RouteTable, RouteView,
)
from services.policy.domain import request_sla
from services.sla.client import SlaClient
from services.sla.domain import item_subject
from shared.errors import NotFound
from shared.rpc import GATEWAY_RPC_TIMEOUT_SECONDS
from shared.scope import Principal

# Who reads requests (the policy service narrows a team member and a department to their scope).
READERS = ("admin", "leader", "team_member", "department", "inspector")
SUBMITTERS = ("admin", "leader", "team_member")
REPLIERS = ("admin", "department")
PAUSERS = ("admin", "team_member", "department")


ITEM_CLOCK_FIELDS = ("due_at", "elapsed_pct", "state", "paused", "counted_hours", "stopped_at")


def item_sla(item: dict, clock: dict | None, due_at) -> dict:
    """An item's sla: its clock's, or (no clock yet) the request's deadline and the item's state."""
    if clock:
        return {k: clock[k] for k in ITEM_CLOCK_FIELDS}
    return {"due_at": due_at, "elapsed_pct": None, "state": item.get("sla_state") or "on_track"}


class PolicyRoutes:
    policy = PolicyClient(timeout=GATEWAY_RPC_TIMEOUT_SECONDS)
    sla = SlaClient(timeout=GATEWAY_RPC_TIMEOUT_SECONDS)

    @api("POST", "/api/v1/policy-requests", roles=SUBMITTERS, body=PolicyRequestCreate,
         response=PolicyRequestView,
         summary="Submit an enterprise's batch of policy and factor requests (48-hour reply)")
    def submit_policy_request(self, request):
        return 201, self.policy.submit(json_body(request), Principal.of(request.principal))

    @api("GET", "/api/v1/policy-requests", roles=READERS, query=RequestFilter,
         response=PolicyRequestPage,
         summary="Policy and factor requests")
    def list_policy_requests(self, request):
        return self.policy.list_requests(query_params(request), Principal.of(request.principal))

    @api("GET", "/api/v1/policy-requests/<string:request_id>", roles=READERS,
         response=PolicyRequestView,
         summary="One request, its items and its clock: sla {due_at, elapsed_pct, state}")
    def get_policy_request(self, request, request_id):
        policy_request = self.policy.get(request_id, Principal.of(request.principal))
        # Each item has its own clock; the request's sla follows from the items shown.
        clocks = self.item_clocks(request_id, policy_request["items"])
        for item in policy_request["items"]:
            item["sla"] = item_sla(item, clocks.get(item["n"]), policy_request["due_at"])
        policy_request["sla"] = request_sla(policy_request, clocks)
        return policy_request

    def item_clocks(self, request_id: str, items: list[dict]) -> dict[int, dict]:
        """The items' reply clocks by item number; an item whose clock has not started has none."""
        subjects = [item_subject(request_id, i["n"]) for i in items]
        return {int(c["subject_id"].rpartition("-")[2]): c
                for c in self.sla.get_clocks("policy_reply", subjects)}

    @api("POST", "/api/v1/policy-requests/<string:request_id>/items/<int:n>/reply",
         roles=REPLIERS, body=ReplyIn, response=PolicyRequestView,
         summary="A stamped reply (盖章函复) to one item")
    def reply_to_item(self, request, request_id, n):
        body = json_body(request)
        principal = Principal.of(request.principal)
        if principal.role == "department" and (
                not isinstance(body, dict) or body.get("department") != principal.department):
            raise NotFound(f"本部门没有第 {n} 项诉求")  # another department's: 404
        self.check_proof(request_id, n, body)  # the scanned letter is this item's attachment
        return self.policy.reply(request_id, n, body, principal)

    @api("POST", "/api/v1/policy-requests/<string:request_id>/items/<int:n>/pause",
         roles=PAUSERS, body=PauseIn, response=PolicyRequestView,
         summary="Pause an item while the enterprise supplies documents")
    def pause_item(self, request, request_id, n):
        body = json_body(request) if request.get_data(cache=True) else None
        return self.policy.pause(request_id, n, body, Principal.of(request.principal))

    @api("POST", "/api/v1/policy-requests/<string:request_id>/items/<int:n>/resume",
         roles=PAUSERS, response=PolicyRequestView,
         summary="Resume a paused item")
    def resume_item(self, request, request_id, n):
        return self.policy.resume(request_id, n, Principal.of(request.principal))

    @api("POST", "/api/v1/policy-requests/<string:request_id>/meeting", roles=SUBMITTERS,
         body=MeetingIn, response=PolicyRequestView, summary="Record the joint study meeting (专题研究会商)")
    def record_meeting(self, request, request_id):
        return self.policy.record_meeting(request_id, json_body(request), Principal.of(request.principal))

    @api("GET", "/api/v1/policy-requests/<string:request_id>/letter.pdf", roles=READERS,
         produces="application/pdf", summary="The stamped reply letter as PDF")
    def reply_letter(self, request, request_id):
        pdf = base64.b64decode(self.policy.letter(request_id, Principal.of(request.principal)))
        return Response(pdf, content_type="application/pdf", headers={
            "Content-Disposition": f'inline; filename="reply-{request_id}.pdf"'})

    @api("GET", "/api/v1/policy-routes", roles=READERS, response=RouteTable,
         summary="The routing table: category -> responsible department")
    def list_policy_routes(self, request):
        return self.policy.routes()

    @api("PUT", "/api/v1/policy-routes/<string:category>", roles=("admin",), body=RouteIn, response=RouteView,
         summary="Route a category to another department")
    def set_policy_route(self, request, category):
        return self.policy.set_route(category, json_body(request), Principal.of(request.principal))
