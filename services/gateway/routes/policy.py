from __future__ import annotations

import base64

from nameko.rpc import RpcProxy
from werkzeug.wrappers import Response

from services.gateway.http import api, call, json_body, query_params
from services.policy.schemas import (
    MeetingIn, PauseIn, PolicyRequestCreate, PolicyRequestPage, PolicyRequestView, ReplyIn,
    RequestFilter, RouteIn, RouteTable, RouteView,
)
from shared.errors import NotFound

# Who reads requests (the policy service narrows a team member and a department to their scope).
READERS = ("admin", "leader", "team_member", "department", "inspector")
SUBMITTERS = ("admin", "leader", "team_member")
REPLIERS = ("admin", "department")
PAUSERS = ("admin", "team_member", "department")


def actor(request) -> dict:
    return dict(request.principal)


def provisional_sla(policy_request: dict) -> dict:
    """Before the sla service has the clock (a second at most): the promise as submitted."""
    return {"due_at": policy_request["due_at"], "elapsed_pct": None,
            "state": policy_request.get("sla_state") or "on_track"}


class PolicyRoutes:
    policy = RpcProxy("policy")
    sla = RpcProxy("sla")

    @api("POST", "/api/v1/policy-requests", roles=SUBMITTERS, body=PolicyRequestCreate,
         response=PolicyRequestView,
         summary="Submit an enterprise's batch of policy and factor requests (48-hour reply)")
    def submit_policy_request(self, request):
        return 201, call(self.policy, "submit", json_body(request), actor(request))

    @api("GET", "/api/v1/policy-requests", roles=READERS, query=RequestFilter,
         response=PolicyRequestPage,
         summary="Policy and factor requests")
    def list_policy_requests(self, request):
        return call(self.policy, "list_requests", query_params(request), actor(request))

    @api("GET", "/api/v1/policy-requests/<string:request_id>", roles=READERS,
         response=PolicyRequestView,
         summary="One request, its items and its clock: sla {due_at, elapsed_pct, state}")
    def get_policy_request(self, request, request_id):
        policy_request = call(self.policy, "get", request_id, actor(request))
        try:
            clock = call(self.sla, "get_clock", "policy_reply", request_id)
            policy_request["sla"] = {k: clock[k] for k in
                                     ("due_at", "elapsed_pct", "state", "paused", "counted_hours")}
        except NotFound:
            policy_request["sla"] = provisional_sla(policy_request)
        return policy_request

    @api("POST", "/api/v1/policy-requests/<string:request_id>/items/<int:n>/reply",
         roles=REPLIERS, body=ReplyIn, response=PolicyRequestView,
         summary="A stamped reply (盖章函复) to one item")
    def reply_to_item(self, request, request_id, n):
        body = json_body(request)
        principal = actor(request)
        if principal["role"] == "department" and (
                not isinstance(body, dict) or body.get("department") != principal.get("department")):
            raise NotFound(f"no item {n} for this department")  # another department's: 404
        return call(self.policy, "reply", request_id, n, body, principal)

    @api("POST", "/api/v1/policy-requests/<string:request_id>/items/<int:n>/pause",
         roles=PAUSERS, body=PauseIn, response=PolicyRequestView,
         summary="Pause an item while the enterprise supplies documents")
    def pause_item(self, request, request_id, n):
        body = json_body(request) if request.get_data(cache=True) else None
        return call(self.policy, "pause", request_id, n, body, actor(request))

    @api("POST", "/api/v1/policy-requests/<string:request_id>/items/<int:n>/resume",
         roles=PAUSERS, response=PolicyRequestView,
         summary="Resume a paused item")
    def resume_item(self, request, request_id, n):
        return call(self.policy, "resume", request_id, n, actor(request))

    @api("POST", "/api/v1/policy-requests/<string:request_id>/meeting", roles=SUBMITTERS,
         body=MeetingIn, response=PolicyRequestView, summary="Record the joint study meeting (专题研究会商)")
    def record_meeting(self, request, request_id):
        return call(self.policy, "record_meeting", request_id, json_body(request), actor(request))

    @api("GET", "/api/v1/policy-requests/<string:request_id>/letter.pdf", roles=READERS,
         produces="application/pdf", summary="The stamped reply letter as PDF")
    def reply_letter(self, request, request_id):
        pdf = base64.b64decode(call(self.policy, "letter", request_id, actor(request)))
        return Response(pdf, content_type="application/pdf", headers={
            "Content-Disposition": f'inline; filename="reply-{request_id}.pdf"'})

    @api("GET", "/api/v1/policy-routes", roles=READERS, response=RouteTable,
         summary="The routing table: category -> responsible department")
    def list_policy_routes(self, request):
        return call(self.policy, "routes")

    @api("PUT", "/api/v1/policy-routes/<string:category>", roles=("admin",), body=RouteIn, response=RouteView,
         summary="Route a category to another department")
    def set_policy_route(self, request, category):
        return call(self.policy, "set_route", category, json_body(request),
                    request.principal["username"])
