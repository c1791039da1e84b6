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
