"""Excel in: a county's project ledger (台账) as leads, and an enterprise's batch of policy
requests (one item a row) as one request.

These routes read the upload (the .xlsx as the body or as multipart field `file`) and hand its
bytes to the use cases in services/gateway/imports.py: `LedgerImport` reads and checks the
ledger and hands the valid rows to the leads service in chunks, `PolicyBatchImport` hands a
batch to the policy service whole. A dry run answers the same without writing.
"""
from __future__ import annotations

import time

from werkzeug.http import parse_options_header
from werkzeug.wrappers import Response

from services.branches.client import BranchesClient
from services.gateway import views
from services.gateway.http import api, query_params
from services.gateway.imports import LedgerImport, PolicyBatchImport
from services.gateway.routes.paper import invalid, uploaded_file
from services.leads import ledger
from services.leads.client import LeadsClient
from services.policy import batch_sheet
from services.policy.client import PolicyClient
from services.policy.schemas import PolicyImportQuery
from services.teams.client import TeamsClient
from shared import filetypes, xlsx
from shared.clock import clock_from_config
from shared.errors import InvalidInput
from shared.rpc import GATEWAY_RPC_TIMEOUT_SECONDS
from shared.schemas import validated
from shared.scope import Principal

IMPORTERS = ("admin", "leader", "team_member")
POLICY_IMPORTERS = ("admin", "leader", "team_member")  # who submits requests (routes/policy.py)
DEFAULT_IMPORT_MAX_BYTES = 10 * 1024 * 1024
# An import is the one answer that may take longer than the gateway's 5 s: a ledger of 5,000
# rows takes seconds per thousand. Each chunk is one transaction; a chunk that times out may
# be retried by sending the file again (its rows' ids are their keys: nothing twice).
CHUNK_TIMEOUT_SECONDS = 30.0


def workbook_bytes(request, limit: int) -> bytes:
    """The .xlsx sent as multipart field `file` or as the body itself; 422 in Chinese."""
    mimetype, _ = parse_options_header(request.headers.get("Content-Type", ""))
    if mimetype == "multipart/form-data":
        _, content = uploaded_file(request, limit)
    else:
        if (request.content_length or 0) > limit:
            raise invalid(f"文件过大：不能超过 {limit // (1024 * 1024)} MB", ("body",))
        content = request.get_data(cache=True)
        if not content:
            raise invalid("文件为空", ("body",))
        if len(content) > limit:
            raise invalid(f"文件过大：不能超过 {limit // (1024 * 1024)} MB", ("body",))
    if filetypes.kind_of(content) != "xlsx":
        raise invalid("不是 Excel 工作簿（.xlsx）：请用导入模板另存为 .xlsx 后上传", ("body", "file"))
    return content


def dry_run_flag(request) -> bool:
    value = (request.args.get("dry_run") or "true").strip().lower()
    if value not in ("true", "false", "1", "0"):
        raise InvalidInput("dry_run 须为 true 或 false", {"errors": [
            {"loc": ["query", "dry_run"], "msg": "dry_run 须为 true 或 false"}]})
    return value in ("true", "1")


class ImportRoutes:
    teams = TeamsClient(timeout=GATEWAY_RPC_TIMEOUT_SECONDS)
    branches = BranchesClient(timeout=GATEWAY_RPC_TIMEOUT_SECONDS)
    policy = PolicyClient(timeout=GATEWAY_RPC_TIMEOUT_SECONDS)
    # A chunk's RPC may outlast the request's deadline (LeadsCalls.import_ledger): its own timeout.
    ledger_leads = LeadsClient(timeout=CHUNK_TIMEOUT_SECONDS)

    def import_workbook(self, request) -> bytes:
        """The uploaded .xlsx, at most KUAIBAN_IMPORT_MAX_BYTES (else 422)."""
        return workbook_bytes(request, int(self.config.get("IMPORT_MAX_BYTES")
                                           or DEFAULT_IMPORT_MAX_BYTES))

    @api("GET", "/api/v1/leads/import/template.xlsx", roles=IMPORTERS, produces=xlsx.MEDIA_TYPE,
         summary="The ledger template: the columns POST /leads/import reads, one example row")
    def ledger_template(self, request):
        return Response(ledger.template(), content_type=xlsx.MEDIA_TYPE, headers={
            "Content-Disposition": 'attachment; filename="ledger-template.xlsx"'})

    @api("POST", "/api/v1/leads/import", roles=IMPORTERS, response=views.LedgerImport,
         summary="Import a ledger (.xlsx) as leads: ?dry_run=true (the default) answers each "
                 "row's errors and the duplicates without writing; dry_run=false creates what is "
                 "valid, and the same file again creates nothing")
    def import_ledger(self, request):
        started = time.monotonic()  # `seconds` counts the upload's reading too
        dry_run = dry_run_flag(request)
        content = self.import_workbook(request)
        use_case = LedgerImport(self.teams, self.branches, self.ledger_leads,
                                clock_from_config(self.config))
        return use_case.run(content, request.principal, dry_run, started)

    # -- an enterprise's batch of policy requests ------------------------------------------
    @api("GET", "/api/v1/policy-requests/import/template.xlsx", roles=POLICY_IMPORTERS,
         produces=xlsx.MEDIA_TYPE,
         summary="The template of a batch of policy requests: one item a row")
    def policy_import_template(self, request):
        return Response(batch_sheet.template(), content_type=xlsx.MEDIA_TYPE, headers={
            "Content-Disposition": 'attachment; filename="policy-requests-template.xlsx"'})

    @api("POST", "/api/v1/policy-requests/import", roles=POLICY_IMPORTERS, query=PolicyImportQuery,
         response=views.PolicyImport,
         summary="Import an enterprise's batch of requests (.xlsx, one item a row) as one request "
                 "of ?lead_id=: ?dry_run=true (the default) answers each row's errors and the "
                 "routing without writing; dry_run=false creates the request when every row is "
                 "valid (else 422 naming each row), and the same file again creates nothing")
    def import_policy_requests(self, request):
        params = validated(PolicyImportQuery, query_params(request), ("query",))
        content = self.import_workbook(request)
        return PolicyBatchImport(self.policy).run(content, params, Principal.of(request.principal))
