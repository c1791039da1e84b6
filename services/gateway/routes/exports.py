"""Every list also as an Excel workbook: the same filters and the same scope as its JSON, all
pages of it (up to MAX_EXPORT_ROWS), through shared/xlsx.py (title and filter row, money in
亿元, dates as dates, text never a formula, print setup)."""
from __future__ import annotations

from datetime import datetime

from werkzeug.wrappers import Response

from services.gateway.http import api, query_params
from services.gateway.routes import EVERYONE
from services.gateway.routes.branches import TRIP_READERS
from services.gateway.routes.leads import presented
from services.gateway.routes.policy import READERS as REQUEST_READERS
from services.gateway.routes.supervision import PROBLEM_READERS
from services.leads.pipeline import STAGE_LABELS_ZH, STATUS_LABELS_ZH
from services.leads.schemas import LeadFilter
from services.policy.client import PolicyClient
from services.policy.domain import COUNTY_TIME
from services.policy.schemas import RequestFilter
from services.supervision.client import SupervisionClient
from services.supervision.domain import COMPLEXITY_LABELS_ZH
from services.supervision.domain import STATUS_LABELS_ZH as PROBLEM_STATUS_ZH
from services.supervision.schemas import ProblemFilter
from shared import scope, xlsx
from shared.errors import InvalidInput
from shared.rpc import GATEWAY_RPC_TIMEOUT_SECONDS
from shared.scope import Principal
from shared.schemas import PageQuery as VisitPage
from shared.schemas import validated
from shared.xlsx import Column as C
from services.branches.client import BranchesClient
from services.leads.client import LeadsClient

MAX_EXPORT_ROWS = 10_000
PAGE = 200
REQUEST_STATUS_ZH = {"open": "办理中", "closed": "已办结"}
SLA_STATE_ZH = {"on_track": "正常", "warning": "预警", "breached": "超时", "met": "按时办结",
                "met_late": "超时办结"}
INTEREST_ZH = {"high": "强", "medium": "中", "low": "弱", "none": "无"}
FILTER_LABELS_ZH = {"team_id": "协作组", "stage": "阶段", "status": "状态", "branch_id": "分队",
                    "major": "重大项目", "q": "搜索", "department": "部门", "sla_state": "时限状态",
                    "lead_id": "项目编号", "owner_department": "责任单位",
                    "complexity": "复杂程度", "routing": "分派", "owner": "负责人"}

LEAD_COLUMNS = [
    C("title", "项目名称"), C("company_name", "企业名称"), C("credit_code", "统一社会信用代码"),
    C("industry", "行业"), C("investment_cny", "总投资（亿元）", "yi"),
    C("land_mu", "用地（亩）", "number"), C("region", "地区"), C("stage_zh", "阶段"),
    C("status_zh", "状态"), C("major", "重大项目", "bool"), C("team_name", "专业招商协作组"),
    C("source_branch_id", "来源分队"), C("first_contact_at", "首次接触日期", "date"),
    C("created_at", "录入时间", "datetime"), C("id", "项目编号"),
]
REQUEST_COLUMNS = [
    C("enterprise", "企业名称"), C("lead_title", "项目名称"), C("received_at", "收到时间", "datetime"),
    C("due_at", "答复时限", "datetime"), C("status_zh", "办理状态"), C("sla_zh", "时限状态"),
    C("items", "诉求项数", "int"), C("replied", "已答复项数", "int"), C("departments", "承办部门"),
    C("closed_at", "办结时间", "datetime"), C("id", "诉求编号"),
]
PROBLEM_COLUMNS = [
    C("title", "问题"), C("lead_title", "项目名称"), C("team_name", "专业招商协作组"),
    C("owner_department", "责任单位"), C("complexity_zh", "复杂程度"), C("status_zh", "状态"),
    C("raised_at", "提出时间", "datetime"), C("resolved_at", "解决时间", "datetime"),
    C("description", "问题描述"), C("id", "问题编号"),
]
VISIT_COLUMNS = [
    C("company", "企业名称"), C("visited_at", "拜访时间", "datetime"), C("visitors", "拜访人员"),
    C("interest_zh", "投资意向"), C("outcome", "拜访成效"), C("next_step", "下一步"),
    C("notes", "备注"), C("lead_id", "转化项目编号"), C("id", "拜访编号"),
]

def all_pages(fetch, filters: dict) -> list[dict]:
    """Every row of a paged list, page after page, at most MAX_EXPORT_ROWS (else 422)."""
    filters = {k: v for k, v in filters.items() if k not in ("page", "page_size")}
    rows, page, after = [], 1, None
    while True:
        # A list that gives the next page's cursor is read by it: each page costs the first's.
        answer = fetch({**filters, "page": page, "page_size": PAGE,
                        **({"after": after} if after else {})})
        after = answer.get("next_cursor")
        rows += answer["items"]
        # A total may be capped (`total_capped`): the pages themselves say when the list ends.
        if len(rows) > MAX_EXPORT_ROWS or (
                not answer.get("total_capped") and answer.get("total", 0) > MAX_EXPORT_ROWS):
            raise InvalidInput(f"导出不能超过 {MAX_EXPORT_ROWS} 行：请加筛选条件", {"errors": [
                {"loc": ["query"], "msg": f"符合条件的超过 {MAX_EXPORT_ROWS} 行"}]})
        if len(answer["items"]) < PAGE or ("next_cursor" in answer and after is None):
            return rows
        page += 1

def subtitle(filters: dict, count: int) -> str:
    chosen = [f"{FILTER_LABELS_ZH.get(k, k)}：{v}" for k, v in filters.items()
              if k not in ("page", "page_size", "sort") and v not in (None, "")]
    now = datetime.now(COUNTY_TIME).strftime("%Y-%m-%d %H:%M")
    return f"筛选：{'；'.join(chosen) or '全部'}　共 {count} 条　导出时间：{now}"

def workbook_response(name: str, title: str, filters: dict, columns, rows,
                      filename: str) -> Response:
    content = xlsx.one_sheet(name, title, subtitle(filters, len(rows)), columns, rows)
    return Response(content, content_type=xlsx.MEDIA_TYPE, headers={
        "Content-Disposition": f'attachment; filename="{filename}"'})

def lead_row(lead: dict) -> dict:
    return {**lead, "company_name": lead["company"]["name"],
            "credit_code": lead["company"].get("credit_code"),
            "stage_zh": STAGE_LABELS_ZH.get(lead["stage"], lead["stage"]),
            "status_zh": STATUS_LABELS_ZH.get(lead["status"], lead["status"])}

def request_row(request: dict) -> dict:
    items = request["items"]
    return {**request, "status_zh": REQUEST_STATUS_ZH.get(request["status"], request["status"]),
            "sla_zh": SLA_STATE_ZH.get(request.get("sla_state") or "on_track"),
            "items": len(items), "replied": sum(1 for i in items if i["status"] == "replied"),
            "departments": sorted({i["department"] for i in items})}

def problem_row(problem: dict) -> dict:
    return {**problem, "status_zh": PROBLEM_STATUS_ZH.get(problem["status"], problem["status"]),
            "complexity_zh": COMPLEXITY_LABELS_ZH.get(problem["complexity"],
                                                      problem["complexity"])}

def visit_row(visit: dict) -> dict:
    return {**visit, "interest_zh": INTEREST_ZH.get(visit.get("interest"), visit.get("interest"))}

class ExportRoutes:
    leads = LeadsClient(timeout=GATEWAY_RPC_TIMEOUT_SECONDS)
    policy = PolicyClient(timeout=GATEWAY_RPC_TIMEOUT_SECONDS)
    supervision = SupervisionClient(timeout=GATEWAY_RPC_TIMEOUT_SECONDS)
    branches = BranchesClient(timeout=GATEWAY_RPC_TIMEOUT_SECONDS)

    @api("GET", "/api/v1/leads.xlsx", roles=EVERYONE, query=LeadFilter, produces=xlsx.MEDIA_TYPE,
         summary="The leads list as an Excel workbook (same filters and scope as GET /leads)")
    def leads_xlsx(self, request):
        validated(LeadFilter, query_params(request), ("query",))  # bad filters: 422 before work
        rows = self.lead_rows(request.principal, query_params(request))
        return workbook_response("项目线索", "招商项目线索台账", query_params(request),
                                 LEAD_COLUMNS, rows, "leads.xlsx")

    def lead_rows(self, principal, filters: dict) -> list[dict]:
        """Every lead the filters find, in the same scope and view as GET /leads
        (shared/scope.py): a department's rows reduced."""
        department_leads = self.department_leads(principal)
        within = scope.lead_filter(principal, department_leads)
        found = all_pages(lambda f: self.leads.list(f, within), filters)
        return [lead_row(presented(principal, d, department_leads)) for d in found]

    @api("GET", "/api/v1/policy-requests.xlsx", roles=REQUEST_READERS, query=RequestFilter,
         produces=xlsx.MEDIA_TYPE, summary="The policy requests as an Excel workbook")
    def policy_requests_xlsx(self, request):
        validated(RequestFilter, query_params(request), ("query",))
        principal = Principal.of(request.principal)
        found = all_pages(lambda f: self.policy.list_requests(f, principal), query_params(request))
        return workbook_response("政策诉求", "政策和要素保障诉求清单", query_params(request),
                                 REQUEST_COLUMNS, [request_row(r) for r in found],
                                 "policy-requests.xlsx")

    @api("GET", "/api/v1/problems.xlsx", roles=PROBLEM_READERS, query=ProblemFilter,
         produces=xlsx.MEDIA_TYPE, summary="The problems as an Excel workbook")
    def problems_xlsx(self, request):
        validated(ProblemFilter, query_params(request), ("query",))
        principal = Principal.of(request.principal)
        found = all_pages(lambda f: self.supervision.list_problems(f, principal),
                          query_params(request))
        return workbook_response("项目问题", "项目问题清单（发现—提出—分析—解决）",
                                 query_params(request), PROBLEM_COLUMNS,
                                 [problem_row(p) for p in found], "problems.xlsx")

    @api("GET", "/api/v1/trips/<string:trip_id>/visits.xlsx", roles=TRIP_READERS,
         query=VisitPage, produces=xlsx.MEDIA_TYPE, summary="A trip's visits as an Excel workbook")
    def visits_xlsx(self, request, trip_id):
        validated(VisitPage, query_params(request), ("query",))
        who = Principal.of(request.principal)
        trip = self.branches.get_trip(trip_id, who)
        found = all_pages(lambda f: self.branches.list_visits(trip_id, f, who),
                          query_params(request))
        title = f"外出招商拜访记录：{trip.get('destination', '')}"
        return workbook_response("拜访记录", title, query_params(request), VISIT_COLUMNS,
                                 [visit_row(v) for v in found], f"visits-{trip_id}.xlsx")
