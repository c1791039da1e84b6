"""Excel in: a county's project ledger (台账) as leads.

The gateway reads the workbook (services/leads/ledger.py: headers, each row's values checked
against the teams' industries, the teams and the branches), then hands the valid rows to the
leads service in chunks small enough for one RPC each; the leads service finds what exists
and creates the rest. A dry run answers the same without writing. Importing the same file
again creates nothing: a row's lead has the row's key as its id.
"""
from __future__ import annotations

import time
from zoneinfo import ZoneInfo

from nameko.rpc import RpcProxy
from werkzeug.http import parse_options_header
from werkzeug.wrappers import Response

from services.gateway.http import api, call
from services.gateway.routes.paper import invalid, uploaded_file
from services.gateway.views import LedgerImport
from services.leads import ledger
from shared import filetypes, rpc, xlsx
from shared.clock import clock_from_config
from shared.errors import InvalidInput

IMPORTERS = ("admin", "leader", "team_member")
DEFAULT_IMPORT_MAX_BYTES = 10 * 1024 * 1024
CHUNK = 100  # rows per RPC (one transaction each)
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
    leads = RpcProxy("leads")
    teams = RpcProxy("teams")
    branches = RpcProxy("branches")

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
        try:
            columns, data, units = ledger.read(content)
        except ledger.LedgerRefused as exc:
            raise invalid(str(exc), ("body", "file")) from None
        except xlsx.NotAWorkbook:
            raise invalid("工作簿无法读取：文件已损坏或不是 .xlsx", ("body", "file")) from None
        known = ledger.Known(
            routing={r["keyword"]: r["team_id"] for r in call(self.teams, "routing_rules")},
            teams={t["id"]: t.get("name_zh") or t["id"] for t in call(self.teams, "list_teams")},
            branches={b["id"]: b.get("name_zh") or b["id"]
                      for b in call(self.branches, "list_branches")})
        today = clock_from_config(self.config).now().astimezone(COUNTY_TIME).date()
        principal = request.principal
        errors, duplicates, valid, first_row_of = [], [], [], {}
        for row_number, raw in data:
            row = ledger.check_row(row_number, columns, raw, units, known, today)
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
        for at in range(0, len(valid), CHUNK):
            part = rpc.call(self.leads, "import_ledger", valid[at:at + CHUNK],
                            principal["username"], dry_run, timeout=CHUNK_TIMEOUT_SECONDS,
                            beyond_deadline=True)
            for key in answer:
                answer[key] += part[key]
            duplicates += part["duplicates"]
            errors += part["errors"]
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
