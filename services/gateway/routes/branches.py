"""Branches, their outbound trips, visits, nightly summaries, sourced leads and results.

The branches service decides scope: every call carries the caller's principal, and a branch
member asking for another branch's trip, visit or summary gets 404 from it.
"""
from __future__ import annotations


from services.branches.schemas import (
    BranchList, BranchRanking, BranchResults, BranchUpdate, BranchView, LeadFromVisit,
    LeadSourcedView, PeriodQuery, SummaryAmend, SummaryList, SummaryView, TripCreate, TripPage,
    TripQuery, TripUpdate, TripView, VisitCreate, VisitPage, VisitUpdate, VisitView,
)
from services.gateway.http import api, json_body, query_params
from services.gateway.routes import EVERYONE
from shared.schemas import PageQuery
from services.branches.client import BranchesClient
from shared.rpc import GATEWAY_RPC_TIMEOUT_SECONDS
from shared.scope import Principal

# admin, leader and inspector read every branch's trips; a branch member the own branch's.
TRIP_READERS = ("admin", "leader", "inspector", "branch_member")
TRIP_WRITERS = ("admin", "branch_member")


class BranchRoutes:
    branches = BranchesClient(timeout=GATEWAY_RPC_TIMEOUT_SECONDS)

    @api("GET", "/api/v1/branches", roles=EVERYONE, response=BranchList,
         summary="The six regional Party branches")
    def list_branches(self, request):
        return self.branches.list_branches()

    @api("GET", "/api/v1/branches/ranking", roles=EVERYONE, query=PeriodQuery,
         response=BranchRanking,
         summary="The six branches ranked by investment signed in a period (?from=&to=)")
    def branch_ranking(self, request):
        return self.branches.ranking(query_params(request))

    @api("GET", "/api/v1/branches/<string:branch_id>", roles=EVERYONE, response=BranchView,
         summary="One branch")
    def get_branch(self, request, branch_id):
        return self.branches.get_branch(branch_id)

    @api("PATCH", "/api/v1/branches/<string:branch_id>", roles=("admin",), body=BranchUpdate,
         response=BranchView,
         summary="Edit a branch's names, regions, members or secretary")
    def update_branch(self, request, branch_id):
        return self.branches.update_branch(branch_id, json_body(request), Principal.of(request.principal))

    @api("GET", "/api/v1/branches/<string:branch_id>/results", roles=EVERYONE, query=PeriodQuery,
         response=BranchResults,
         summary="Visits, leads sourced, signed, investment signed, conversion (?from=&to=)")
    def branch_results(self, request, branch_id):
        return self.branches.results(branch_id, query_params(request))

    # -- trips ----------------------------------------------------------------------------
    @api("POST", "/api/v1/branches/<string:branch_id>/trips", roles=TRIP_WRITERS, body=TripCreate,
         response=TripView,
         summary="Plan an outbound trip with its homework (target companies)")
    def create_trip(self, request, branch_id):
        return 201, self.branches.create_trip(branch_id, json_body(request),
                         Principal.of(request.principal))

    @api("GET", "/api/v1/branches/<string:branch_id>/trips", roles=TRIP_READERS, query=TripQuery,
         response=TripPage,
         summary="A branch's trips, latest first (?status=upcoming|ongoing|finished)")
    def list_trips(self, request, branch_id):
        return self.branches.list_trips(branch_id, query_params(request), Principal.of(request.principal))

    @api("GET", "/api/v1/trips/<string:trip_id>", roles=TRIP_READERS, response=TripView,
         summary="One trip")
    def get_trip(self, request, trip_id):
        return self.branches.get_trip(trip_id, Principal.of(request.principal))

    @api("PATCH", "/api/v1/trips/<string:trip_id>", roles=TRIP_WRITERS, body=TripUpdate,
         response=TripView,
         summary="Adjust a trip's plan: destination, dates, members, targets")
    def update_trip(self, request, trip_id):
        return self.branches.update_trip(trip_id, json_body(request), Principal.of(request.principal))

    # -- visits ---------------------------------------------------------------------------
    @api("POST", "/api/v1/trips/<string:trip_id>/visits", roles=TRIP_WRITERS, body=VisitCreate,
         response=VisitView,
         summary="Log a visit (only `company` is required; `visited_at` defaults to now)")
    def log_visit(self, request, trip_id):
        return 201, self.branches.log_visit(trip_id, json_body(request), Principal.of(request.principal))

    @api("GET", "/api/v1/trips/<string:trip_id>/visits", roles=TRIP_READERS, query=PageQuery,
         response=VisitPage,
         summary="A trip's visits in time order")
    def list_visits(self, request, trip_id):
        return self.branches.list_visits(trip_id, query_params(request), Principal.of(request.principal))

    @api("GET", "/api/v1/visits/<string:visit_id>", roles=TRIP_READERS, response=VisitView,
         summary="One visit")
    def get_visit(self, request, visit_id):
        return self.branches.get_visit(visit_id, Principal.of(request.principal))

    @api("PATCH", "/api/v1/visits/<string:visit_id>", roles=TRIP_WRITERS, body=VisitUpdate,
         response=VisitView,
         summary="Fill in a visit later: outcome, interest, next step, notes")
    def update_visit(self, request, visit_id):
        return self.branches.update_visit(visit_id, json_body(request), Principal.of(request.principal))

    @api("POST", "/api/v1/visits/<string:visit_id>/lead", roles=TRIP_WRITERS, body=LeadFromVisit,
         response=LeadSourcedView,
         summary="Turn a visit into a lead sourced by the branch (409 if the company was reported)")
    def source_lead(self, request, visit_id):
        return 201, self.branches.source_lead(visit_id, json_body(request),
                         Principal.of(request.principal))

    # -- nightly summaries ----------------------------------------------------------------
    @api("GET", "/api/v1/trips/<string:trip_id>/summaries", roles=TRIP_READERS,
         response=SummaryList,
         summary="The nightly summaries, one per trip day past the summary time")
    def trip_summaries(self, request, trip_id):
        return self.branches.trip_summaries(trip_id, Principal.of(request.principal))

    @api("PATCH", "/api/v1/trips/<string:trip_id>/summaries/<string:day>", roles=TRIP_WRITERS,
         body=SummaryAmend, response=SummaryView,
         summary="Add the next day's plan or notes to a day's summary")
    def amend_summary(self, request, trip_id, day):
        return self.branches.amend_summary(trip_id, day, json_body(request),
                    Principal.of(request.principal))
