"""Every route is ruled, described and measured: roles, response models, OpenAPI 3.1, /docs,
/metrics."""
import json

import pytest

from services.gateway.http import ApiRoute, api
from services.gateway.openapi import build_openapi, routes_of
from services.gateway.schemas import ROLES
from services.branches.service import BranchesService
from services.gateway.service import GatewayService
from services.leads.schemas import LeadView
from services.leads.service import LeadsService
from services.notifier.domain import addresses_of
from services.notifier.service import NotifierService
from services.policy.service import PolicyService
from services.sla.service import SlaService
from services.supervision.service import SupervisionService
from services.teams.service import TeamsService

EVERY_SERVICE = (GatewayService, LeadsService, TeamsService, BranchesService, PolicyService,
                 SlaService, SupervisionService, NotifierService)

ROUTES = routes_of(GatewayService)


def test_a_route_without_a_rule_refuses_to_load():
    with pytest.raises(ValueError, match="declare roles"):
        api("GET", "/api/v1/unruled")(lambda self, request: None)
    with pytest.raises(ValueError, match="declare roles"):
        ApiRoute("GET", "/api/v1/unruled", roles=())


def test_a_json_route_without_a_response_model_refuses_to_load():
    with pytest.raises(ValueError, match="declare response"):
        ApiRoute("GET", "/api/v1/unshaped", roles=("admin",))
    ApiRoute("GET", "/api/v1/a.pdf", roles=("admin",), produces="application/pdf")  # no JSON: fine


def test_an_answer_shows_only_what_its_response_model_names():
    route = ApiRoute("GET", "/api/v1/leads/<string:lead_id>", roles=("admin",),
                     response=LeadView)
    lead = {
        "id": "l1", "title": "物流园", "company": {"name": "涟水物流有限公司", "name_key": "涟水物流"},
        "industry": "物流", "investment_cny": 300_000_000, "major": False, "green_channel": False,
        "stage": "lead", "stage_zh": "线索", "status": "active", "status_zh": "推进中",
        "team_id": None, "routing": "pending", "created_at": "2026-11-26T09:00:00+08:00",
        "created_by": "admin", "updated_at": "2026-11-26T09:00:00+08:00", "updated_by": "admin",
        "stage_history": [], "status_history": [], "four_ones": None, "milestones": {},
        "changes": [], "stage_index": 0, "search_keys": ["物", "流"], "password_hash": "x",
    }
    response = route.response_from_result((201, lead))
    shown = json.loads(response.get_data(as_text=True))
    assert response.status_code == 201
    # Internal fields are dropped, at the top and inside; what the model names is kept as it was.
    assert not {"stage_index", "search_keys", "password_hash"} & set(shown)
    assert shown["company"] == {"name": "涟水物流有限公司"}
    assert shown["created_at"] == "2026-11-26T09:00:00+08:00" and shown["team_id"] is None
    assert "land_mu" not in shown  # left out stays out: no invented nulls


def test_every_json_answer_has_a_schema_in_the_document():
    document = build_openapi(ROUTES)
    schemas = document["components"]["schemas"]
    answers = 0
    for path, operations in document["paths"].items():
        for method, op in operations.items():
            for code in ("200", "201") if method == "post" else ("200",):
                content = op["responses"][code]["content"]
                if "application/json" not in content:
                    continue  # a PDF, a workbook, a page: described as a string
                ref = content["application/json"]["schema"]["$ref"]
                assert ref.rsplit("/", 1)[1] in schemas, (method, path, ref)
                answers += 1
    assert answers >= 60
    lead = schemas["LeadView"]
    assert {"id", "title", "stage", "team_id"} <= set(lead["required"])
    assert "stage_index" not in lead["properties"]
    page = schemas["LeadPage"]
    assert {"items", "total", "page", "page_size"} <= set(page["required"])


def test_every_api_route_declares_roles_from_the_known_set():
    assert len(ROUTES) > 15
    for route in ROUTES:
        if route.url.startswith("/api/v1/") and route.url != "/api/v1/auth/token":
            assert not route.public, f"{route.url} is open"
            assert route.roles and route.roles <= set(ROLES), route.url


@pytest.fixture
def gateway(config, web_config, runner_factory):
    runner = runner_factory({**config, **web_config}, *EVERY_SERVICE)
    runner.start()
    return runner


@pytest.fixture
def tokens(gateway, web_session):
    admin = web_session.post("/api/v1/auth/token", json={
        "username": "admin", "password": "admin-password-for-tests"}).json()["access_token"]
    tokens = {"admin": admin}
    for role in ROLES:
        if role == "admin":
            continue
        username = f"user-{role.replace('_', '-')}"
        created = web_session.post("/api/v1/users", headers={"Authorization": f"Bearer {admin}"},
                                   json={"username": username, "password": "password-12345",
                                         "display_name": role, "role": role,
                                         "team_id": "new-energy", "branch_id": "shanghai",
                                         "department": "县自然资源和规划局"})
        assert created.status_code == 201, created.text
        tokens[role] = web_session.post("/api/v1/auth/token", json={
            "username": username, "password": "password-12345"}).json()["access_token"]
    return tokens


def concrete(url: str) -> str:
    """A request path for a rule: each variable filled with a harmless unknown value."""
    import re
    return re.sub(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>",
                  lambda m: "1" if m.group(1) in ("int", "float") else "no-such-id", url)


def test_every_route_with_a_token_of_every_role(tokens, web_session):
    """401 without a token; 403 for a role the rule leaves out; never 401/403/5xx otherwise."""
    checked = 0
    for route in ROUTES:
        if route.public:
            continue
        for method in route.method.split(","):
            path = concrete(route.url)
            call = getattr(web_session, method.lower())
            kwargs = {} if method == "GET" else {"json": {}}
            assert call(path, **kwargs).status_code == 401, (method, path)
            for role, token in tokens.items():
                status = call(path, headers={"Authorization": f"Bearer {token}"},
                              **kwargs).status_code
                if role in route.roles:
                    assert status not in (401, 403) and status < 500, (method, path, role, status)
                else:
                    assert status == 403, (method, path, role, status)
                checked += 1
    print(f"\nroute x role checks: {checked}")
    assert checked >= len(ROUTES) * 3


def test_openapi_31_describes_every_route(gateway, web_session):
    response = web_session.get("/openapi.json")
    assert response.status_code == 200, response.text
    document = response.json()
    assert document["openapi"] == "3.1.0"
    described = {(path, method) for path, ops in document["paths"].items() for method in ops}
    for route in ROUTES:
        path = route.url
        import re
        path = re.sub(r"<(?:\w+(?:\([^)]*\))?:)?(\w+)>", r"{\1}", path)
        for method in route.method.split(","):
            assert (path, method.lower()) in described
    create = document["paths"]["/api/v1/leads"]["post"]
    body = create["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    lead_schema = document["components"]["schemas"][body.rsplit("/", 1)[1]]
    assert {"title", "company", "industry", "investment_cny"} <= set(lead_schema["required"])
    assert document["paths"]["/healthz"]["get"]["security"] == []


def test_the_document_is_the_same_without_a_container():
    document = build_openapi(ROUTES)
    assert "/api/v1/leads/{lead_id}" in document["paths"]


def test_docs_are_served_from_local_files(gateway, web_session):
    page = web_session.get("/docs")
    assert page.status_code == 200 and "/docs/static/swagger-ui-bundle.js" in page.text
    assert "cdn" not in page.text.lower() and "https://" not in page.text
    script = web_session.get("/docs/static/swagger-ui-bundle.js")
    assert script.status_code == 200 and len(script.content) > 100_000
    assert web_session.get("/docs/static/..%2Fopenapi.py").status_code == 404


def test_metrics_count_requests_per_route(gateway, web_session):
    web_session.get("/healthz")
    web_session.get("/api/v1/teams")  # 401
    text = web_session.get("/metrics").text
    assert 'kuaiban_http_requests_total{method="GET",route="/healthz",status="200"}' in text
    assert 'route="/api/v1/teams",status="401"' in text
    assert "kuaiban_http_request_duration_seconds_bucket" in text
    assert "kuaiban_workers_finished_total" in text


def test_query_values_never_reach_the_database_as_operators(tokens, web_session):
    headers = {"Authorization": f"Bearer {tokens['admin']}"}
    response = web_session.get("/api/v1/leads?team_id[$ne]=x", headers=headers)
    assert response.status_code == 422
    response = web_session.get("/api/v1/leads?page_size=201", headers=headers)
    assert response.status_code == 422


# --- object scope: every route that returns objects, every role, objects of another team,
# department and branch ---------------------------------------------------------------------

LAND, WATER = "县自然资源和规划局", "县水务局"  # the fixture's department, and another one
TODAY = "2026-11-20"
MEETING = {"held_at": "2026-11-20T10:00:00+08:00", "chair": "陈国华", "attendees": ["县水务局"],
           "minutes": "研究诉求"}
# (method, rule) -> (kind of object in the path or the list, a valid body for writes).
OBJECT_ROUTES = {
    ("GET", "/api/v1/leads"): ("lead", None),
    ("GET", "/api/v1/leads/<string:lead_id>"): ("lead", None),
    ("GET", "/api/v1/leads/<string:lead_id>/progress"): ("lead", None),
    ("GET", "/api/v1/leads/<string:lead_id>/cycle-times"): ("lead", None),
    ("PATCH", "/api/v1/leads/<string:lead_id>"): ("lead", {"notes": "改一下"}),
    ("POST", "/api/v1/leads/<string:lead_id>/stage"): ("lead", {"stage": "negotiating"}),
    ("POST", "/api/v1/leads/<string:lead_id>/status"): ("lead", {"status": "stalled",
                                                                  "reason": "等待"}),
    ("PUT", "/api/v1/leads/<string:lead_id>/four-ones"): ("lead", {
        "project_lead": {"name": "陈国华"}, "service_group": {"members": [{"name": "赵磊"}]},
        "plan": [{"milestone": "signing", "planned_date": "2026-12-01"}]}),
    ("POST", "/api/v1/leads/<string:lead_id>/milestones/<string:milestone>"): (
        "lead", {"actual_date": "2026-11-01"}),
    ("POST", "/api/v1/leads/<string:lead_id>/team"): ("lead", {"team_id": "equipment"}),
    ("GET", "/api/v1/policy-requests"): ("request", None),
    ("GET", "/api/v1/policy-requests/<string:request_id>"): ("request", None),
    ("GET", "/api/v1/policy-requests/<string:request_id>/letter.pdf"): ("request", None),
    ("POST", "/api/v1/policy-requests/<string:request_id>/items/<int:n>/reply"): ("request", {
        "text": "已办理", "department": LAND, "signer": "王局长", "reference_no": "涟自然函1号"}),
    ("POST", "/api/v1/policy-requests/<string:request_id>/items/<int:n>/pause"): ("request", {}),
    ("POST", "/api/v1/policy-requests/<string:request_id>/items/<int:n>/resume"): ("request",
                                                                                  None),
    ("POST", "/api/v1/policy-requests/<string:request_id>/meeting"): ("request", MEETING),
    ("GET", "/api/v1/problems"): ("problem", None),
    ("GET", "/api/v1/problems/<string:problem_id>"): ("problem", None),
    ("POST", "/api/v1/problems/<string:problem_id>/feedback"): ("problem", {"text": "已收到"}),
    ("POST", "/api/v1/problems/<string:problem_id>/analysis"): ("problem", {
        "cause": "管网未通", "approach": "先接临时管"}),
    ("POST", "/api/v1/problems/<string:problem_id>/resolve"): ("problem", {"resolution": "已通"}),
    ("POST", "/api/v1/problems/<string:problem_id>/plan"): ("problem", {
        "steps": [{"step": "铺设管网", "due_date": "2099-01-01"}]}),
    ("POST", "/api/v1/problems/<string:problem_id>/progress-report"): ("problem",
                                                                       {"text": "进展顺利"}),
    ("GET", "/api/v1/sla/clocks"): ("clock", None),
    ("GET", "/api/v1/branches/<string:branch_id>/trips"): ("branch", None),
    ("POST", "/api/v1/branches/<string:branch_id>/trips"): ("branch", {
        "destination": "上海", "start_date": TODAY, "end_date": TODAY}),
    ("GET", "/api/v1/trips/<string:trip_id>"): ("trip", None),
    ("PATCH", "/api/v1/trips/<string:trip_id>"): ("trip", {"destination": "苏州"}),
    ("GET", "/api/v1/trips/<string:trip_id>/visits"): ("trip", None),
    ("POST", "/api/v1/trips/<string:trip_id>/visits"): ("trip", {"company": "某公司"}),
    ("GET", "/api/v1/trips/<string:trip_id>/summaries"): ("trip", None),
    ("PATCH", "/api/v1/trips/<string:trip_id>/summaries/<string:day>"): ("trip",
                                                                         {"notes": "补记"}),
    ("GET", "/api/v1/visits/<string:visit_id>"): ("visit", None),
    ("PATCH", "/api/v1/visits/<string:visit_id>"): ("visit", {"notes": "补记"}),
    ("POST", "/api/v1/visits/<string:visit_id>/lead"): ("visit", {"industry": "白酒",
                                                                   "investment_cny": 1}),
    ("GET", "/api/v1/notifications"): ("notification", None),
    ("POST", "/api/v1/notifications/<string:notification_id>/read"): ("notification", None),
}
# Routes that return no object of a team, department or branch, and why.
UNSCOPED = {
    "/api/v1/teams", "/api/v1/teams/<string:team_id>",  # the six teams and their pipeline counts
    "/api/v1/branches", "/api/v1/branches/<string:branch_id>",  # the six branches
    "/api/v1/branches/ranking", "/api/v1/branches/<string:branch_id>/results",  # aggregates
    "/api/v1/routing-rules", "/api/v1/routing-rules/<string:keyword>", "/api/v1/policy-routes",
    "/api/v1/policy-routes/<string:category>", "/api/v1/units", "/api/v1/sla/holidays",
    "/api/v1/sla/holidays/<int:year>",  # reference data
    "/api/v1/sla/report",  # rates per department, no object
    "/api/v1/me", "/api/v1/me/password", "/api/v1/users", "/api/v1/users/<string:username>",
    "/api/v1/audit",  # admin and inspector, who read everything
    "/api/v1/leaders",  # the county leaders' accounts (username, name): reference for 项目长
    "/api/v1/leads", "/api/v1/policy-requests", "/api/v1/problems",  # creations: own scope
    "/api/v1/inspections/weekly", "/api/v1/inspections/weekly.xlsx", "/api/v1/yellow-cards",
    "/api/v1/yellow-cards.xlsx", "/api/v1/tackle-list", "/api/v1/tackle-list.xlsx",
    "/api/v1/showcase", "/api/v1/showcase.xlsx", "/api/v1/reports/generate",  # read-all roles
    # County leaders' tasks: read by the read-all roles only, written by the supervision office
    # and the owning leader (test_leader_tasks.py), never a team's, department's or branch's.
    "/api/v1/tasks", "/api/v1/tasks/<string:task_id>", "/api/v1/tasks/weekly",
    "/api/v1/tasks/weekly.xlsx", "/api/v1/tasks/monthly", "/api/v1/tasks/monthly.xlsx",
}
# Routes whose objects are scoped through another object's rule, each with the test that
# shows it (they need files, workbooks or several services' objects that `world` does not make).
SCOPED_THROUGH = {
    **{url: "test_paper_letters.py::test_lead_and_problem_attachments_follow_their_owners_scope"
       for url in (
           "/api/v1/leads/<string:lead_id>/attachments",
           "/api/v1/policy-requests/<string:request_id>/attachments",
           "/api/v1/policy-requests/<string:request_id>/items/<int:n>/attachments",
           "/api/v1/problems/<string:problem_id>/attachments",
           "/api/v1/visits/<string:visit_id>/attachments",
           "/api/v1/attachments/<string:attachment_id>")},
    **{url: "test_paper_exports.py::test_every_list_downloads_as_xlsx_with_its_filters_and_scope"
       for url in ("/api/v1/leads.xlsx", "/api/v1/policy-requests.xlsx", "/api/v1/problems.xlsx",
                   "/api/v1/trips/<string:trip_id>/visits.xlsx")},
    "/api/v1/search": "test_search.py::test_a_team_member_finds_nothing_of_another_teams_lead",
    "/api/v1/me/work": "test_my_work.py::test_my_work_per_role_and_a_lead_with_its_open_problems_"
                       "and_requests",
    "/api/v1/notifications/unread-count": "the caller's own inbox (addresses_of), as "
                                          "GET /notifications",
    "/api/v1/leads/import": "test_paper_imports.py (a team member imports for the own team only)",
    "/api/v1/leads/import/template.xlsx": "an empty template, no object",
    "/api/v1/policy-requests/import": "test_policy_imports.py (a team member imports for the "
                                      "own team's lead only)",
    "/api/v1/policy-requests/import/template.xlsx": "an empty template, no object",
    "/api/v1/units/<string:name>/seal": "reference data: a unit's seal (admin writes)",
}
SCOPED_ROLES = ("team_member", "branch_member", "department")


def test_every_route_is_in_the_object_scope_table():
    """A new route that returns objects must say what scope it has, or this fails."""
    for route in ROUTES:
        if route.public or not route.url.startswith("/api/v1/"):
            continue
        for method in route.method.split(","):
            assert (method, route.url) in OBJECT_ROUTES or route.url in UNSCOPED \
                or route.url in SCOPED_THROUGH, (method, route.url)


@pytest.fixture
def world(tokens, web_session):
    """Objects of the fixture users' team, department and branch ("in"), and of another
    team (food-liquor), department (water) and branch (zhejiang) ("out")."""
    import time
    admin = {"Authorization": f"Bearer {tokens['admin']}"}

    def post(path, body):
        response = web_session.post(path, headers=admin, json=body)
        assert response.status_code == 201, (path, response.text)
        return response.json()

    def assigned(body, team):
        lead = post("/api/v1/leads", body)
        deadline = time.monotonic() + 8
        while web_session.get(f"/api/v1/leads/{lead['id']}",
                              headers=admin).json()["team_id"] != team:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        return lead

    world = {"in": {}, "out": {}}
    for side, team, industry, department, branch in (
            ("in", "new-energy", "光伏", LAND, "shanghai"),
            ("out", "food-liquor", "白酒", WATER, "zhejiang")):
        objects = world[side]
        objects["lead"] = assigned({"title": f"{industry}项目", "industry": industry,
                                    "company": {"name": f"{industry}科技有限公司"},
                                    "investment_cny": 500_000_000, "source_branch_id": branch},
                                   team)
        objects["request"] = post("/api/v1/policy-requests", {
            "lead_id": objects["lead"]["id"], "enterprise": f"{industry}科技有限公司",
            "items": [{"topic": "诉求", "category": "other", "text": "请协调",
                       "department": department}]})
        objects["problem"] = post("/api/v1/problems", {
            "lead_id": objects["lead"]["id"], "title": "问题", "description": "请协调",
            "owner_department": department, "complexity": "general"})
        objects["branch"] = {"id": branch}
        objects["trip"] = post(f"/api/v1/branches/{branch}/trips", {
            "destination": "上海", "start_date": TODAY, "end_date": TODAY, "members": ["admin"]})
        objects["visit"] = post(f"/api/v1/trips/{objects['trip']['id']}/visits",
                                {"company": f"{industry}目标企业",
                                 "visited_at": f"{TODAY}T10:00:00+08:00"})
        # Each item of a request has its own clock (subject "<request>-<n>"), as the problem has.
        objects["subjects"] = {f"{objects['request']['id']}-{item['n']}"
                               for item in objects["request"]["items"]} | {objects["problem"]["id"]}
    deadline = time.monotonic() + 10
    while True:  # the clocks and the problem notifications arrive by events
        clocks = web_session.get("/api/v1/sla/clocks", headers=admin).json()["items"]
        if len(clocks) >= 6:
            break
        assert time.monotonic() < deadline
        time.sleep(0.1)
    return world


def wait_for_notification(web_session, token, department):
    import time
    deadline = time.monotonic() + 10
    while True:
        items = web_session.get("/api/v1/notifications", headers={
            "Authorization": f"Bearer {token}"}).json()["items"]
        if any(f"department:{department}" in n["recipients"] for n in items):
            return next(n for n in items if f"department:{department}" in n["recipients"])
        assert time.monotonic() < deadline
        time.sleep(0.1)


def filled(rule: str, objects: dict, kind: str) -> str:
    import re
    values = {"n": "1", "milestone": "signing", "day": TODAY}
    obj = objects.get(kind) or {}
    return re.sub(r"<(?:\w+(?:\([^)]*\))?:)?(\w+)>",
                  lambda m: values.get(m.group(1), obj.get("id", "no-such-id")), rule)


def listed_ids(page: dict, kind: str) -> set:
    if kind == "clock":
        return {c["subject_id"] for c in page["items"]}
    return {item["id"] for item in page["items"]}


def test_every_object_route_keeps_every_role_to_its_scope(tokens, world, web_session):
    """For every role: another team's, department's and branch's objects are 404 (or absent from
    the list; 403 for a leader acting on a project that is not his); the own are there."""
    # The notifications: one to the fixture's department, one to another department.
    world["in"]["notification"] = wait_for_notification(web_session, tokens["department"], LAND)
    water = web_session.post("/api/v1/users", headers={"Authorization": f"Bearer {tokens['admin']}"},
                             json={"username": "water-dept", "password": "password-12345",
                                   "display_name": WATER, "role": "department",
                                   "department": WATER})
    assert water.status_code == 201, water.text
    water_token = web_session.post("/api/v1/auth/token", json={
        "username": "water-dept", "password": "password-12345"}).json()["access_token"]
    world["out"]["notification"] = wait_for_notification(web_session, water_token, WATER)
    # Where a scoped role sees the "in" objects (None: no object of that kind is its).
    sees_in = {"team_member": {"lead", "request", "problem", "clock"},
               "branch_member": {"lead", "branch", "trip", "visit"},
               "department": {"lead", "request", "problem", "clock", "notification"}}
    checked = 0
    for (method, rule), (kind, body) in OBJECT_ROUTES.items():
        route = next(r for r in ROUTES if r.url == rule and method in r.method.split(","))
        is_list = "<" not in rule
        for role, token in tokens.items():
            if role not in route.roles:
                continue
            if method != "GET" and role in ("admin", "inspector"):
                continue  # they act everywhere their roles allow: nothing to narrow
            headers = {"Authorization": f"Bearer {token}"}
            call = getattr(web_session, method.lower())
            kwargs = {"json": body} if body is not None else {}
            if is_list:
                if method != "GET":
                    continue
                page = call(rule, headers=headers, params={"page_size": 200})
                assert page.status_code == 200, (rule, role, page.text)
                if kind == "notification":
                    mine = set(addresses_of({
                        "username": "admin" if role == "admin" else
                        f"user-{role.replace('_', '-')}", "role": role, "team_id": "new-energy",
                        "branch_id": "shanghai", "department": LAND}))
                    assert all(mine & set(n["recipients"]) for n in page.json()["items"]), role
                    ids = listed_ids(page.json(), kind)
                    if role == "department":
                        assert world["in"]["notification"]["id"] in ids
                        assert world["out"]["notification"]["id"] not in ids
                    checked += 1
                    continue
                ids = listed_ids(page.json(), kind)
                out = world["out"]["subjects"] if kind == "clock" else {world["out"][kind]["id"]}
                into = world["in"]["subjects"] if kind == "clock" else {world["in"][kind]["id"]}
                if role in SCOPED_ROLES:
                    assert not ids & out, (rule, role)
                    assert (into <= ids) == (kind in sees_in[role]), (rule, role, ids)
                else:
                    assert out <= ids and into <= ids, (rule, role)
                checked += 1
                continue
            outside = call(filled(rule, world["out"], kind), headers=headers, **kwargs)
            if role in SCOPED_ROLES:
                assert outside.status_code == 404, (method, rule, role, outside.status_code,
                                                    outside.text)
                if method == "GET":
                    inside = call(filled(rule, world["in"], kind), headers=headers)
                    assert (inside.status_code == 200) == (kind in sees_in[role]), (
                        rule, role, inside.status_code, inside.text)
            elif method == "GET":
                assert outside.status_code == 200, (rule, role, outside.text)
            elif role == "leader":  # reads every project, acts on the own team's only
                assert outside.status_code in (403, 404), (method, rule, outside.text)
                if kind == "lead" or rule.endswith("/meeting"):
                    assert outside.status_code == 403, (method, rule, outside.text)
            checked += 1
    print(f"\nobject scope checks: {checked}")
    assert checked > 100
