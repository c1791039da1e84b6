from __future__ import annotations

import base64

from werkzeug.wrappers import Response

from services.gateway import problems
from services.gateway.http import api, json_body, query_params
from services.gateway.views import ReportProducing
from services.sla.client import SlaClient
from services.supervision import exports
from services.supervision.client import SupervisionClient
from services.supervision.schemas import (
    AnalysisIn, AnyReport, BimonthQuery, FeedbackIn, GenerateIn, MonthQuery, PlanIn,
    ProblemCreate, ProblemFilter, ProblemPage, ProblemView, ProgressReportIn, QuarterQuery,
    ResolveIn, Showcase, TackleList, UnitList, WeekQuery, WeeklyInspection, YellowCards,
)
from shared.errors import NotFound
from shared.rpc import GATEWAY_RPC_TIMEOUT_SECONDS
from shared.scope import Principal
from shared.schemas import shown

XLSX = exports.MEDIA_TYPE
# The supervision service narrows a department and a team member to their own problems.
PROBLEM_READERS = ("admin", "leader", "inspector", "team_member", "department")
RAISERS = ("admin", "leader", "team_member")
ACTORS = ("admin", "department")  # the owner department acts on its problem (another's: 404)
REPORT_READERS = ("admin", "leader", "inspector")
REPORT_WRITERS = ("admin", "inspector")
CLOCK_FIELDS = ("due_at", "elapsed_pct", "state", "paused", "counted_hours", "started_at")


def report_response(request, answer: dict):
    """The report, or 202 while a closed period's report is being produced: poll the same URL."""
    if answer.get("status") != "producing":
        return answer
    poll = request.full_path.rstrip("?")
    response = problems.json_response(shown(ReportProducing, {**answer, "poll": poll}), 202)
    response.headers["Location"] = poll
    response.headers["Retry-After"] = str(answer.get("retry_after") or 1)
    return response


def xlsx_response(request, exported: dict) -> Response:
    if exported.get("status") == "producing":
        return report_response(request, exported)
    return Response(base64.b64decode(exported["content"]), content_type=XLSX, headers={
        "Content-Disposition": f'attachment; filename="{exported["filename"]}"'})


class SupervisionRoutes:
    supervision = SupervisionClient(timeout=GATEWAY_RPC_TIMEOUT_SECONDS)
    sla = SlaClient(timeout=GATEWAY_RPC_TIMEOUT_SECONDS)

    # -- the closed problem loop ---------------------------------------------------------------
    @api("POST", "/api/v1/problems", roles=RAISERS, body=ProblemCreate, response=ProblemView,
         summary="Raise a project's problem to its owner department (3-day feedback, 7-day or "
                 "1-month solution)")
    def raise_problem(self, request):
        return 201, self.supervision.raise_problem(json_body(request), Principal.of(request.principal))

    @api("GET", "/api/v1/problems", roles=PROBLEM_READERS, query=ProblemFilter,
         response=ProblemPage, summary="Problems")
    def list_problems(self, request):
        return self.supervision.list_problems(query_params(request), Principal.of(request.principal))

    @api("GET", "/api/v1/problems/<string:problem_id>", roles=PROBLEM_READERS,
         response=ProblemView,
         summary="One problem: its steps, plan, deadlines and their live clocks")
    def get_problem(self, request, problem_id):
        problem = self.supervision.get_problem(problem_id, Principal.of(request.principal))
        for deadline in problem["deadlines"].values():
            clock = self.deadline_clock(deadline["clock_id"])
            if clock is not None:
                deadline["clock"] = clock
        return problem

    def deadline_clock(self, clock_id: str) -> dict | None:
        """A deadline's live clock (CLOCK_FIELDS), or None while sla has not heard of it yet
        (a second at most)."""
        kind, subject = clock_id.split(":", 1)
        try:
            clock = self.sla.get_clock(kind, subject)
        except NotFound:
            return None
        return {k: clock.get(k) for k in CLOCK_FIELDS}

    @api("POST", "/api/v1/problems/<string:problem_id>/feedback", roles=ACTORS, body=FeedbackIn,
         response=ProblemView,
         summary="The owner department's feedback (within 3 days)")
    def problem_feedback(self, request, problem_id):
        return self.supervision.give_feedback(problem_id, json_body(request),
                    Principal.of(request.principal))

    @api("POST", "/api/v1/problems/<string:problem_id>/analysis", roles=ACTORS, body=AnalysisIn,
         response=ProblemView,
         summary="Cause and approach (分析)")
    def problem_analysis(self, request, problem_id):
        return self.supervision.analyse(problem_id, json_body(request), Principal.of(request.principal))

    @api("POST", "/api/v1/problems/<string:problem_id>/resolve", roles=ACTORS, body=ResolveIn,
         response=ProblemView,
         summary="Solved (解决): stops its clocks")
    def resolve_problem(self, request, problem_id):
        return self.supervision.resolve(problem_id, json_body(request), Principal.of(request.principal))

    @api("POST", "/api/v1/problems/<string:problem_id>/plan", roles=ACTORS, body=PlanIn,
         response=ProblemView,
         summary="A plan with dated steps for a problem that cannot be solved soon; starts the "
                 "monthly progress-report clock")
    def plan_problem(self, request, problem_id):
        return self.supervision.plan(problem_id, json_body(request), Principal.of(request.principal))

    @api("POST", "/api/v1/problems/<string:problem_id>/progress-report", roles=ACTORS,
         body=ProgressReportIn, response=ProblemView, summary="The monthly progress report on the plan")
    def problem_progress_report(self, request, problem_id):
        return self.supervision.report_progress(problem_id, json_body(request),
                    Principal.of(request.principal))

    # -- the rhythm: weekly, monthly, quarterly, bimonthly ----------------------------------------
    @api("GET", "/api/v1/inspections/weekly", roles=REPORT_READERS, query=WeekQuery,
         accepted=ReportProducing,
         response=WeeklyInspection,
         summary="Weekly inspection (Monday 09:00): plan vs actual per project, open problems, "
                 "breached replies")
    def weekly_inspection(self, request):
        return report_response(request, self.supervision.report("weekly_inspection",
                                                   query_params(request)))

    @api("GET", "/api/v1/inspections/weekly.xlsx", roles=REPORT_READERS, query=WeekQuery,
         accepted=ReportProducing,
         produces=XLSX, summary="The weekly inspection as an Excel workbook")
    def weekly_inspection_xlsx(self, request):
        return xlsx_response(request, self.supervision.report_xlsx("weekly_inspection",
                                           query_params(request)))

    @api("GET", "/api/v1/yellow-cards", roles=REPORT_READERS, query=MonthQuery,
         accepted=ReportProducing,
         response=YellowCards,
         summary="The month's yellow-card units (issued on the 1st), with their points and reasons")
    def yellow_cards(self, request):
        return report_response(request, self.supervision.report("yellow_cards",
                                                   query_params(request)))

    @api("GET", "/api/v1/yellow-cards.xlsx", roles=REPORT_READERS, query=MonthQuery,
         accepted=ReportProducing,
         produces=XLSX, summary="The month's yellow cards as an Excel workbook")
    def yellow_cards_xlsx(self, request):
        return xlsx_response(request, self.supervision.report_xlsx("yellow_cards",
                                           query_params(request)))

    @api("GET", "/api/v1/tackle-list", roles=REPORT_READERS, query=QuarterQuery,
         accepted=ReportProducing,
         response=TackleList,
         summary="The quarter's tackling list: major projects, milestones due, progress")
    def tackle_list(self, request):
        return report_response(request, self.supervision.report("tackle_list",
                                                   query_params(request)))

    @api("GET", "/api/v1/tackle-list.xlsx", roles=REPORT_READERS, query=QuarterQuery,
         accepted=ReportProducing,
         produces=XLSX, summary="The quarter's tackling list as an Excel workbook")
    def tackle_list_xlsx(self, request):
        return xlsx_response(request, self.supervision.report_xlsx("tackle_list",
                                           query_params(request)))

    @api("GET", "/api/v1/showcase", roles=REPORT_READERS, query=BimonthQuery,
         accepted=ReportProducing,
         response=Showcase,
         summary="Bimonthly results (双月晒实绩) per town and department, ranked")
    def showcase(self, request):
        return report_response(request, self.supervision.report("showcase",
                                                   query_params(request)))

    @api("GET", "/api/v1/showcase.xlsx", roles=REPORT_READERS, query=BimonthQuery,
         accepted=ReportProducing,
         produces=XLSX, summary="The bimonthly results as an Excel workbook")
    def showcase_xlsx(self, request):
        return xlsx_response(request, self.supervision.report_xlsx("showcase",
                                           query_params(request)))

    @api("POST", "/api/v1/reports/generate", roles=REPORT_WRITERS, body=GenerateIn,
         response=AnyReport,
         summary="Produce a past period's report again from the facts (same facts, same report)")
    def generate_report(self, request):
        return self.supervision.generate(json_body(request), Principal.of(request.principal))

    @api("GET", "/api/v1/units", roles=PROBLEM_READERS, response=UnitList,
         summary="The departments and towns problems are raised to and that are scored")
    def list_units(self, request):
        return self.supervision.units()
