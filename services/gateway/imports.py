"""The two Excel imports as use cases, apart from HTTP (routes/imports.py reads the upload and
hands over its bytes).

`LedgerImport`: a county's project ledger (台账) as leads. The workbook is read and each row
checked (services/leads/ledger.py) against the teams' routing, the teams and the branches; the
valid rows go to the leads service in chunks of CHUNK rows, one RPC (one transaction) each; the
leads' events, held while the chunks go in, are handed to the outbox relay once all are in
(the answer does not wait for their publishing).

`PolicyBatchImport`: an enterprise's batch of policy requests (services/policy/batch_sheet.py),
one item a row, handed to the policy service whole as one request: a commit with a bad row is
a 422 naming each one and stores nothing.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from services.branches.client import BranchesClient
from services.leads import ledger
from services.leads.client import LeadsClient, LedgerChunkAnswer
from services.policy import batch_sheet
from services.policy.client import PolicyClient
from services.policy.domain import CATEGORY_LABELS_ZH
from services.policy.schemas import PolicyImportQuery
from services.teams.client import TeamsClient
from shared import xlsx
from shared.errors import InvalidInput
from shared.scope import Principal

CHUNK = 100  # rows per RPC (one transaction each)
RELEASE_AT_ONCE = 1000  # held events per RPC (one write) once the chunks are in
COUNTY_TIME = ZoneInfo("Asia/Shanghai")
UNREADABLE = "工作簿无法读取：文件已损坏或不是 .xlsx"
ERRORS_NAMED_IN_DETAIL = 20  # a refused batch's detail names the first rows; `errors` all


def file_refused(message: str) -> InvalidInput:
    """A 422 on the uploaded file as a whole (the shape of routes/paper.py's `invalid`)."""
    return InvalidInput(message, {"errors": [{"loc": ["body", "file"], "msg": message}]})


def repeated_row(row_number: int, first: int) -> dict:
    return {"row": row_number, "existing_id": None, "msg": f"第{row_number}行：与第{first}行重复"}


# -- the ledger ----------------------------------------------------------------------------------
@dataclass
class SortedLedger:
    """The workbook's rows sorted out: each bad row's errors, the rows repeated within the file,
    and the valid rows as the leads service takes them."""

    errors: list[dict] = field(default_factory=list)
    duplicates: list[dict] = field(default_factory=list)
    valid: list[dict] = field(default_factory=list)


@dataclass
class ChunksDone:
    """What the leads service answered for the chunks, all of them together."""

    created: list[dict] = field(default_factory=list)
    would_create: list[dict] = field(default_factory=list)
    already_imported: list[dict] = field(default_factory=list)
    possible_duplicates: list[dict] = field(default_factory=list)
    duplicates: list[dict] = field(default_factory=list)
    errors: list[dict] = field(default_factory=list)
    held_events: list[str] = field(default_factory=list)

    def add(self, part: LedgerChunkAnswer) -> None:
        self.created += part["created"]
        self.would_create += part["would_create"]
        self.already_imported += part["already_imported"]
        self.possible_duplicates += part["possible_duplicates"]
        self.duplicates += part["duplicates"]
        self.errors += part["errors"]
        self.held_events += part["held_events"]


def read_workbook(read, refused: type[Exception], content: bytes):
    """`read(content)`; a file that is not the sheet it should be (`refused`) or no workbook at
    all is a 422 on the file."""
    try:
        return read(content)
    except refused as exc:
        raise file_refused(str(exc)) from None
    except xlsx.NotAWorkbook:
        raise file_refused(UNREADABLE) from None


def read_ledger(content: bytes) -> tuple[list, list[tuple[int, tuple, set]], dict]:
    """The ledger's columns, data rows and units; a file that is no ledger is a 422."""
    return read_workbook(ledger.read, ledger.LedgerRefused, content)


def outside_own_team(row_number: int, lead: dict, routing: dict, principal) -> dict | None:
    """A team member imports the rows of their own team only: the error for a row of another's
    (an admin imports those)."""
    team = ledger.pick_team(lead["industry"], routing)
    if team is not None and team.team_id == principal.get("team_id"):
        return None
    return {"row": row_number, "column": "行业",
            "msg": f"第{row_number}行“行业”：不属于本协作组，请由管理员导入"}


def sorted_ledger(columns, data, units: dict, known: ledger.Known, today,
                  principal) -> SortedLedger:
    """Each row checked; the first of rows with the same key is valid, the others repeat it."""
    rows, first_row_of = SortedLedger(), {}
    for row_number, raw, formulas in data:
        row = ledger.check_row(row_number, columns, raw, units, known, today, formulas)
        if not row.errors and principal["role"] == "team_member":
            error = outside_own_team(row_number, row.lead, known.routing, principal)
            if error:
                row.errors.append(error)
        if row.errors:
            rows.errors += row.errors
        elif row.key in first_row_of:
            rows.duplicates.append(repeated_row(row_number, first_row_of[row.key]))
        else:
            first_row_of[row.key] = row_number
            rows.valid.append({"row": row_number, "key": row.key, "lead": row.lead,
                               "stage": row.stage})
    return rows


def chunks(rows: list, size: int) -> list[list]:
    return [rows[at:at + size] for at in range(0, len(rows), size)]


class LedgerImport:
    """POST /leads/import: a ledger's rows as leads (`dry_run`: what would be, nothing written).
    Importing the same file again creates nothing: a row's lead has the row's key as its id."""

    def __init__(self, teams: TeamsClient, branches: BranchesClient, ledger_leads: LeadsClient,
                 clock):
        self.teams, self.branches, self.ledger_leads = teams, branches, ledger_leads
        self.clock = clock

    def run(self, content: bytes, principal, dry_run: bool, started: float) -> dict:
        """The answer as views.LedgerImport shows it; `started`: when the request came in."""
        # Asked before the workbook is read: reading 5,000 rows takes seconds, more than the
        # request's deadline leaves for these calls (the chunks wait their own time).
        known = self.known()
        columns, data, units = read_ledger(content)
        today = self.clock.now().astimezone(COUNTY_TIME).date()
        rows = sorted_ledger(columns, data, units, known, today, principal)
        done = self.import_chunks(rows.valid, Principal.of(principal), dry_run)
        self.release_held_events(done.held_events)
        return ledger_answer(dry_run, len(data), rows, done, started)

    def known(self) -> ledger.Known:
        """The routing table, the teams and the branches the rows are checked against."""
        return ledger.Known(
            routing={r["keyword"]: r["team_id"] for r in self.teams.routing_rules()},
            teams={t["id"]: t.get("name_zh") or t["id"] for t in self.teams.list_teams()},
            branches={b["id"]: b.get("name_zh") or b["id"]
                      for b in self.branches.list_branches()})

    def import_chunks(self, valid: list[dict], principal: Principal, dry_run: bool) -> ChunksDone:
        done = ChunksDone()
        # One chunk after another: RPCs from a GreenPool's threads off the worker hung the
        # next request's import in the suite (tests/interface/test_paper_imports.py).
        for chunk in chunks(valid, CHUNK):
            done.add(self.ledger_leads.import_ledger(chunk, principal, dry_run))
        return done

    def release_held_events(self, held_ids: list[str]) -> None:
        """The leads' events once the whole import is in: the teams assign them after it rather
        than beside it (services/leads/repository.py, insert_many). The outbox relay sends them;
        the answer does not wait for that (bench/ledger.py measures how long it takes)."""
        for group in chunks(held_ids, RELEASE_AT_ONCE):
            self.ledger_leads.release_imported(group)


def ledger_answer(dry_run: bool, rows: int, checked: SortedLedger, done: ChunksDone,
                  started: float) -> dict:
    return {
        "dry_run": dry_run, "rows": rows, "valid": len(checked.valid),
        "created": len(done.created), "would_create": len(done.would_create),
        "already_imported": len(done.already_imported),
        "errors": sorted(checked.errors + done.errors, key=lambda e: e["row"]),
        "duplicates": sorted(checked.duplicates + done.duplicates, key=lambda d: d["row"]),
        "possible_duplicates": done.possible_duplicates,
        "created_ids": [c["id"] for c in done.created],
        "seconds": round(time.monotonic() - started, 2),
    }


# -- an enterprise's batch of policy requests ----------------------------------------------------
@dataclass
class SortedBatch:
    """The batch's rows sorted out: errors, repeated rows, and the items with their rows."""

    errors: list[dict] = field(default_factory=list)
    duplicates: list[dict] = field(default_factory=list)
    items: list[dict] = field(default_factory=list)
    rows_of: list[int] = field(default_factory=list)  # the sheet row of each item


def read_batch(content: bytes) -> tuple[list, list[tuple[int, tuple, set]]]:
    """The batch's columns and data rows; a file that is no batch is a 422."""
    return read_workbook(batch_sheet.read, batch_sheet.SheetRefused, content)


def sorted_batch(columns, data) -> SortedBatch:
    """Each row checked; of rows asking the same, the first is the item."""
    rows, first_row_of = SortedBatch(), {}
    for row_number, raw, formulas in data:
        row = batch_sheet.check_row(row_number, columns, raw, formulas)
        if row.errors:
            rows.errors += row.errors
            continue
        key = batch_sheet.item_key(row.item)
        if key in first_row_of:
            rows.duplicates.append(repeated_row(row_number, first_row_of[key]))
            continue
        first_row_of[key] = row_number
        rows.items.append(row.item)
        rows.rows_of.append(row_number)
    return rows


def batch_refused(errors: list[dict]) -> InvalidInput:
    """A commit with bad rows stores nothing: a request missing an item would have to be
    imported again with it, and would then be another request."""
    named = "；".join(e["msg"] for e in errors[:ERRORS_NAMED_IN_DETAIL])
    more = "……" if len(errors) > ERRORS_NAMED_IN_DETAIL else ""
    detail = f"有 {len({e['row'] for e in errors})} 行不能导入，整批未导入：{named}{more}"
    return InvalidInput(detail, {"errors": [
        {"loc": ["body", "file", str(e["row"]), e["column"]], "msg": e["msg"]} for e in errors]})


def request_body(params: PolicyImportQuery, items: list[dict]) -> dict:
    """The request the items are of, as the policy service's import_batch takes it."""
    body = {"lead_id": params.lead_id, "items": items}
    if params.enterprise:
        body["enterprise"] = params.enterprise
    if params.received_at:
        body["received_at"] = params.received_at.isoformat()
    return body


def routed_items(rows_of: list[int], routed: list[dict]) -> list[dict]:
    """Each valid row as the item it becomes: its number and the department it goes to."""
    return [{"row": row, "n": item["n"], "topic": item["topic"], "category": item["category"],
             "category_zh": CATEGORY_LABELS_ZH[item["category"]],
             "department": item["department"]}
            for row, item in zip(rows_of, routed)]


class PolicyBatchImport:
    """POST /policy-requests/import: a batch's rows as the items of one request of the lead
    (`dry_run`: the routing, nothing written). The same file again creates nothing."""

    def __init__(self, policy: PolicyClient):
        self.policy = policy

    def run(self, content: bytes, params: PolicyImportQuery, principal: Principal) -> dict:
        """The answer as views.PolicyImport shows it."""
        columns, data = read_batch(content)
        rows = sorted_batch(columns, data)
        if rows.errors and not params.dry_run:
            raise batch_refused(rows.errors)
        answer = {"dry_run": params.dry_run, "rows": len(data), "valid": len(rows.items),
                  "errors": rows.errors, "duplicates": rows.duplicates, "items": [], "id": None,
                  "would_create": False, "created": False, "already_imported": False,
                  "request": None}
        if not rows.items:
            return answer
        outcome = self.policy.import_batch(request_body(params, rows.items), principal,
                                           params.dry_run)
        answer["items"] = routed_items(rows.rows_of, outcome["request"]["items"])
        if rows.errors:  # a dry run of a file with bad rows: what its valid rows would be, not a key
            return answer
        return {**answer, "id": outcome["id"], "would_create": outcome["would_create"],
                "created": outcome["created"], "already_imported": outcome["already_imported"],
                "request": outcome["request"] if not params.dry_run or
                outcome["already_imported"] else None}
