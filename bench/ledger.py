"""`make bench-ledger`: a county ledger of BENCH_LEDGER_ROWS rows (default 5,000) imported over
HTTP into the whole platform as `make run` starts it (embedded SecantusDB, every service its own
process, a throwaway RabbitMQ vhost): the dry run, the commit, the time from the commit's answer
until every imported lead has its team (at most BENCH_ASSIGN_WAIT seconds), then the same file
again. For each step it prints the wall time, the database's CPU and the database commands the
services sent, by the code that sent them (the query log), so a cost that grows per row shows as
a count near the row count.

Not a test: it prints figures. The issues' figures: 5,000 rows within 60 s, every lead assigned
within 120 s of the commit's answer.
Settings: BENCH_LEDGER_ROWS (5000), BENCH_ASSIGN_WAIT (300 s), AMQP_URI, RABBIT_MANAGEMENT
(as bench/bench.py).
"""
from __future__ import annotations

import collections
import http.client
import io
import json
import os
import shutil
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import openpyxl  # noqa: E402

from bench.bench import Platform, say  # noqa: E402
from shared.company import credit_code_check_char  # noqa: E402

ROWS = int(os.environ.get("BENCH_LEDGER_ROWS", 5000))
ASSIGN_WAIT = float(os.environ.get("BENCH_ASSIGN_WAIT", 300))
HEADERS = ["项目名称", "企业名称", "统一社会信用代码", "行业", "总投资（亿元）", "用地（亩）", "来源",
           "首次接触日期", "阶段", "专业招商协作组", "项目长"]
INDUSTRIES = ["光伏", "白酒", "半导体", "物流", "玻璃纤维", "智能装备"]


def credit_code(n: int) -> str:
    body = f"91320826MB{n:07d}"
    return body + credit_code_check_char(body)


def ledger(count: int) -> bytes:
    """A ledger as counties keep them: a title row, the header, `count` rows (every tenth
    company without a credit code; every fiftieth a company seen in an earlier row)."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "台账"
    sheet.append(["涟水县招商项目台账（基准）"])
    sheet.append(HEADERS)
    for n in range(count):
        company = n - 1 if n % 50 == 49 else n
        sheet.append([f"基准台账项目{n:05d}", f"涟水基准{company:05d}科技有限公司",
                      None if n % 10 == 9 else credit_code(company),
                      INDUSTRIES[n % len(INDUSTRIES)], round(0.5 + n % 40, 2), 10 + n % 300,
                      "上海区域招商局行动党支部" if n % 3 == 0 else "以商招商",
                      date(2025, 1, 1) + timedelta(days=n % 300), ["在谈", "签约", "线索"][n % 3],
                      None, "陈国华"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def post(platform: Platform, content: bytes, dry_run: bool) -> tuple[int, dict, float]:
    connection = http.client.HTTPConnection("127.0.0.1", platform.port, timeout=900)
    started = time.perf_counter()
    connection.request("POST", f"/api/v1/leads/import?dry_run={str(dry_run).lower()}", content,
                       {"Authorization": f"Bearer {platform.token}",
                        "Content-Type": "application/vnd.openxmlformats-officedocument."
                                        "spreadsheetml.sheet"})
    response = connection.getresponse()
    body = json.loads(response.read() or b"null")
    elapsed = time.perf_counter() - started
    connection.close()
    return response.status, body, elapsed


def commands_since(platform: Platform, offset: int) -> tuple[collections.Counter, int]:
    """The database commands logged after byte `offset`, by command and sending code."""
    counts: collections.Counter = collections.Counter()
    if not platform.query_log.exists():
        return counts, offset
    with open(platform.query_log, "rb") as f:
        f.seek(offset)
        data = f.read()
    for line in data.splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        counts[(entry["command"], entry.get("collection") or "", entry.get("where", "?"))] += 1
    return counts, offset + len(data)


def log_offset(platform: Platform) -> int:
    return platform.query_log.stat().st_size if platform.query_log.exists() else 0


def wait_assigned(platform: Platform, lead_ids: list[str], answered_at: float,
                  within: float) -> dict:
    """Waits until every lead of `lead_ids` has its team (or went to triage), for at most
    `within` seconds from `answered_at` (the commit's answer); says when the last one did.

    Read by `_id`, a few at a time from the front of what is still waiting: the leads are
    assigned roughly in the order they were imported. A count of the pending leads instead
    costs the embedded database every pending document each time (180 ms at 5,000), which
    would slow the very fan-out it measures."""
    leads = platform.mongo["kuaiban_leads"].leads
    waiting, last_said = list(lead_ids), answered_at
    while waiting and time.monotonic() - answered_at < within:
        front = waiting[:50]
        assigned = {d["_id"] for d in leads.find({"_id": {"$in": front}}, {"routing": 1})
                    if d.get("routing") in ("assigned", "triage")}
        waiting = [lead_id for lead_id in front if lead_id not in assigned] + waiting[50:]
        if time.monotonic() - last_said >= 10:
            last_said = time.monotonic()
            say(f"  {time.monotonic() - answered_at:5.0f} s after the commit's answer: "
                f"{len(lead_ids) - len(waiting):,} of {len(lead_ids):,} assigned")
        if assigned != set(front):  # caught up with the teams: look again in a moment
            time.sleep(0.5)
    return {"assigned": len(lead_ids) - len(waiting), "waiting": len(waiting),
            "seconds_after_answer": round(time.monotonic() - answered_at, 1)}


def step(platform: Platform, label: str, run) -> dict:
    offset, cpu0, load = log_offset(platform), platform.db_cpu_seconds(), os.getloadavg()[0]
    started = time.perf_counter()
    outcome = run()
    wall = time.perf_counter() - started
    commands, _ = commands_since(platform, offset)
    figures = {"step": label, "wall": wall, "db_cpu": platform.db_cpu_seconds() - cpu0,
               "commands": sum(commands.values()), "load": load, "top": commands.most_common(8),
               "outcome": outcome}
    say(f"{label}: {wall:.1f} s, database CPU {figures['db_cpu']:.1f} s, "
        f"{figures['commands']:,} commands, load {load:.1f}")
    return figures


def main() -> int:
    root = Path(tempfile.mkdtemp(prefix="kuaiban-bench-ledger-"))
    platform = Platform(root)
    say(f"writing a ledger of {ROWS:,} rows")
    content = ledger(ROWS)
    say("starting the platform")
    platform.start()
    results = []
    try:
        time.sleep(5)  # let the start-up passes (relay, timers) settle
        def run_import(dry_run: bool) -> dict:
            status, body, _ = post(platform, content, dry_run)
            assert status == 200, (status, body)
            return {k: body[k] for k in ("rows", "valid", "created", "would_create",
                                         "already_imported", "seconds")} | {
                "duplicates": len(body["duplicates"]), "errors": len(body["errors"]),
                "created_ids": body["created_ids"]}

        results.append(step(platform, "dry run", lambda: run_import(True)))
        results.append(step(platform, "commit", lambda: run_import(False)))
        answered_at, created = time.monotonic(), results[-1]["outcome"].pop("created_ids")
        results.append(step(platform, "until every lead has its team (from the commit's answer)",
                            lambda: wait_assigned(platform, created, answered_at, ASSIGN_WAIT)))
        results.append(step(platform, "the same file again", lambda: run_import(False)))
        for r in results:
            r["outcome"].pop("created_ids", None)
    except BaseException:
        say(f"failed; logs kept in {root}")
        platform.stop()
        raise
    platform.stop()
    shutil.rmtree(root, ignore_errors=True)
    print()
    print(f"| ledger of {ROWS:,} rows | wall (s) | database CPU (s) | database commands | "
          "load (2 cores) | outcome |")
    print("| --- | --- | --- | --- | --- | --- |")
    for r in results:
        print(f"| {r['step']} | {r['wall']:.1f} | {r['db_cpu']:.1f} | {r['commands']:,} | "
              f"{r['load']:.1f} | {json.dumps(r['outcome'], ensure_ascii=False)} |")
    for r in results:
        print(f"\n{r['step']}: the most frequent commands")
        for (command, collection, where), n in r["top"]:
            print(f"  {n:7,}  {command} {collection}  {where}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
