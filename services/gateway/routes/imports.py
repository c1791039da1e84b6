"""Excel in: a county's project ledger (台账) as leads, and an enterprise's batch of policy
requests (one item a row) as one request.

The gateway reads the workbook (services/leads/ledger.py: headers, each row's values checked
against the teams' industries, the teams and the branches), then hands the valid rows to the
leads service in chunks small enough for one RPC each; the leads service finds what exists
and creates the rest. A dry run answers the same without writing. Importing the same file
again creates nothing: a row's lead has the row's key as its id.

A batch of policy requests is read the same way (services/policy/batch_sheet.py) and handed
to the policy service whole: its rows are the items of one request, so a commit with a bad row
is a 422 naming each one and stores nothing (a request missing an item would have to be
imported again with it, and would then be another request).
"""
from __future__ import annotations

import time
from zoneinfo import ZoneInfo


from werkzeug.http import parse_options_header
from werkzeug.wrappers import Response

from services.gateway.http import api, query_params
from services.gateway.routes.paper import invalid, uploaded_file
from services.gateway.views import LedgerImport, PolicyImport
from services.leads import ledger
from services.policy import batch_sheet
from services.policy.client import PolicyClient
from services.policy.domain import CATEGORY_LABELS_ZH
from services.policy.schemas import PolicyImportQuery
from shared import filetypes, xlsx
from shared.clock import clock_from_config
from shared.errors import InvalidInput
from shared.rpc import GATEWAY_RPC_TIMEOUT_SECONDS
from shared.schemas import validated
from services.branches.client import BranchesClient
from services.leads.client import LeadsClient
from services.teams.client import TeamsClient

IMPORTERS = ("admin", "leader", "team_member")
POLICY_IMPORTERS = ("admin", "leader", "team_member")  # who submits requests (routes/policy.py)
DEFAULT_IMPORT_MAX_BYTES = 10 * 1024 * 1024
CHUNK = 100  # rows per RPC (one transaction each)
PUBLISH_AT_ONCE = 1000  # held events per RPC once the chunks are in
# An import is the one answer that may take longer than the gateway's 5 s: a ledger of 5,000
# rows takes seconds per thousand. Each chunk is one transaction; a chunk that times out may
# be retried by sending the file again (its rows' ids are their keys: nothing twice).
CHUNK_TIMEOUT_SECONDS = 30.0
COUNTY_TIME = ZoneInfo("Asia/Shanghai")


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

    @api("GET", "/api/v1/leads/import/template.xlsx", roles=IMPORTERS, produces=xlsx.MEDIA_TYPE,
         summary="The ledger template: the columns POST /leads/import reads, one example row")
    def ledger_template(self, request):
        return Response(ledger.template(), content_type=xlsx.MEDIA_TYPE, headers={
            "Content-Disposition": 'attachment; filename="ledger-template.xlsx"'})

    @api("POST", "/api/v1/leads/import", roles=IMPORTERS, response=LedgerImport,
         summary="Import a ledger (.xlsx) as leads: ?dry_run=true (the default) answers each "
                 "row's errors and the duplicates without writing; dry_run=false creates what is "
                 "valid, and the same file again creates nothing")
    def import_ledger(self, request):
        started = time.monotonic()
        dry_run = dry_run_flag(request)
        limit = int(self.config.get("IMPORT_MAX_BYTES") or DEFAULT_IMPORT_MAX_BYTES)
        content = workbook_bytes(request, limit)
        # Asked before the workbook is read: reading 5,000 rows takes seconds, more than the
        # request's deadline leaves for these calls (the chunks wait their own time).
        known = ledger.Known(
            routing={r["keyword"]: r["team_id"] for r in self.teams.routing_rules()},
            teams={t["id"]: t.get("name_zh") or t["id"] for t in self.teams.list_teams()},
            branches={b["id"]: b.get("name_zh") or b["id"]
                      for b in self.branches.list_branches()})
        try:
            columns, data, units = ledger.read(content)
        except ledger.LedgerRefused as exc:
            raise invalid(str(exc), ("body", "file")) from None
        except xlsx.NotAWorkbook:
            raise invalid("工作簿无法读取：文件已损坏或不是 .xlsx", ("body", "file")) from None
        today = clock_from_config(self.config).now().astimezone(COUNTY_TIME).date()
        principal = request.principal
        errors, duplicates, valid, first_row_of = [], [], [], {}
        for row_number, raw, formulas in data:
            row = ledger.check_row(row_number, columns, raw, units, known, today, formulas)
            if not row.errors and principal["role"] == "team_member":
                team = ledger.pick_team(row.lead["industry"], known.routing)
                if team is None or team.team_id != principal.get("team_id"):
                    row.errors.append({"row": row_number, "column": "行业", "msg":
                                       f"第{row_number}行“行业”：不属于本协作组，请由管理员导入"})
            if row.errors:
                errors += row.errors
            elif row.key in first_row_of:
                duplicates.append({"row": row_number, "existing_id": None,
                                   "msg": f"第{row_number}行：与第{first_row_of[row.key]}行重复"})
            else:
                first_row_of[row.key] = row_number
                valid.append({"row": row_number, "key": row.key, "lead": row.lead,
                              "stage": row.stage})
        answer = {"created": [], "would_create": [], "already_imported": [],
                  "possible_duplicates": []}
        def one(chunk):
            return self.ledger_leads.import_ledger(chunk, principal["username"], dry_run)

        # One chunk after another: RPCs from a GreenPool's threads off the worker hung the
        # next request's import in the suite (tests/interface/test_paper_imports.py).
        held_events: list[str] = []
        for part in map(one, [valid[at:at + CHUNK] for at in range(0, len(valid), CHUNK)]):
            for key in answer:
                answer[key] += part[key]
            duplicates += part["duplicates"]
            errors += part["errors"]
            held_events += part["held_events"]
        # The leads' events once the whole import is in: the teams assign them after it rather
        # than beside it (services/leads/repository.py, insert_many).
        for at in range(0, len(held_events), PUBLISH_AT_ONCE):
            self.ledger_leads.publish_imported(held_events[at:at + PUBLISH_AT_ONCE])
        return {
            "dry_run": dry_run, "rows": len(data), "valid": len(valid),
            "created": len(answer["created"]), "would_create": len(answer["would_create"]),
            "already_imported": len(answer["already_imported"]),
            "errors": sorted(errors, key=lambda e: e["row"]),
            "duplicates": sorted(duplicates, key=lambda d: d["row"]),
            "possible_duplicates": answer["possible_duplicates"],
            "created_ids": [c["id"] for c in answer["created"]],
            "seconds": round(time.monotonic() - started, 2),
        }

    # -- an enterprise's batch of policy requests ------------------------------------------
    @api("GET", "/api/v1/policy-requests/import/template.xlsx", roles=POLICY_IMPORTERS,
         produces=xlsx.MEDIA_TYPE,
         summary="The template of a batch of policy requests: one item a row")
    def policy_import_template(self, request):
        return Response(batch_sheet.template(), content_type=xlsx.MEDIA_TYPE, headers={
            "Content-Disposition": 'attachment; filename="policy-requests-template.xlsx"'})

    @api("POST", "/api/v1/policy-requests/import", roles=POLICY_IMPORTERS, query=PolicyImportQuery,
         response=PolicyImport,
         summary="Import an enterprise's batch of requests (.xlsx, one item a row) as one request "
                 "of ?lead_id=: ?dry_run=true (the default) answers each row's errors and the "
                 "routing without writing; dry_run=false creates the request when every row is "
                 "valid (else 422 naming each row), and the same file again creates nothing")
    def import_policy_requests(self, request):
        params = validated(PolicyImportQuery, query_params(request), ("query",))
        limit = int(self.config.get("IMPORT_MAX_BYTES") or DEFAULT_IMPORT_MAX_BYTES)
        content = workbook_bytes(request, limit)
        try:
            columns, data = batch_sheet.read(content)
        except batch_sheet.SheetRefused as exc:
            raise invalid(str(exc), ("body", "file")) from None
        except xlsx.NotAWorkbook:
            raise invalid("工作簿无法读取：文件已损坏或不是 .xlsx", ("body", "file")) from None
        errors, duplicates, items, rows_of, first_row_of = [], [], [], [], {}
        for row_number, raw, formulas in data:
            row = batch_sheet.check_row(row_number, columns, raw, formulas)
            if row.errors:
                errors += row.errors
                continue
            key = batch_sheet.item_key(row.item)
            if key in first_row_of:
                duplicates.append({"row": row_number, "existing_id": None,
                                   "msg": f"第{row_number}行：与第{first_row_of[key]}行重复"})
                continue
            first_row_of[key] = row_number
            items.append(row.item)
            rows_of.append(row_number)
        if errors and not params.dry_run:
            detail = f"有 {len({e['row'] for e in errors})} 行不能导入，整批未导入：" + "；".join(
                e["msg"] for e in errors[:20]) + ("……" if len(errors) > 20 else "")
            raise InvalidInput(detail, {"errors": [
                {"loc": ["body", "file", str(e["row"]), e["column"]], "msg": e["msg"]}
                for e in errors]})
        answer = {"dry_run": params.dry_run, "rows": len(data), "valid": len(items),
                  "errors": errors, "duplicates": duplicates, "items": [], "id": None,
                  "would_create": False, "created": False, "already_imported": False,
                  "request": None}
        if not items:
            return answer
        body = {"lead_id": params.lead_id, "items": items}
        if params.enterprise:
            body["enterprise"] = params.enterprise
        if params.received_at:
            body["received_at"] = params.received_at.isoformat()
        outcome = self.policy.import_batch(body, dict(request.principal),
                       params.dry_run)
        routed = outcome["request"]["items"]
        answer["items"] = [{"row": row, "n": item["n"], "topic": item["topic"],
                            "category": item["category"],
                            "category_zh": CATEGORY_LABELS_ZH[item["category"]],
                            "department": item["department"]}
                           for row, item in zip(rows_of, routed)]
        if errors:  # a dry run of a file with bad rows: what its valid rows would be, not a key
            return {**answer, "request": None}
        return {**answer, "id": outcome["id"], "would_create": outcome["would_create"],
                "created": outcome["created"], "already_imported": outcome["already_imported"],
                "request": outcome["request"] if not params.dry_run or
                outcome["already_imported"] else None}
