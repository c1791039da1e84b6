"""`make bench-ledger`: a county ledger of BENCH_LEDGER_ROWS rows (default 5,000) imported over
HTTP into the whole platform as `make run` starts it (embedded SecantusDB, every service its own
process, a throwaway RabbitMQ vhost): the dry run, the commit, the same file again, then how
many leads the teams service has assigned within BENCH_ASSIGN_WAIT seconds. For each step it prints the
wall time, the database's CPU and the database commands the services sent, by the code that
sent them (the query log), so a cost that grows per row shows as a count near the row count.

Not a test: it prints figures. The issue's figure: 5,000 rows within 60 s.
Settings: BENCH_LEDGER_ROWS (5000), BENCH_ASSIGN_WAIT (120 s), AMQP_URI, RABBIT_MANAGEMENT
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
ASSIGN_WAIT = float(os.environ.get("BENCH_ASSIGN_WAIT", 120))
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


def wait_assigned(platform: Platform, within: float) -> tuple[bool, int]:
    leads = platform.mongo["kuaiban_leads"].leads
    deadline = time.monotonic() + within
    while True:
        pending = leads.count_documents({"routing": "pending"})
        if pending == 0 or time.monotonic() > deadline:
            return pending == 0, pending
        time.sleep(0.5)


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
        for label, dry_run in (("dry run", True), ("commit", False), ("the same file again", False)):
            def run(dry_run=dry_run):
                status, body, _ = post(platform, content, dry_run)
                assert status == 200, (status, body)
                return {k: body[k] for k in ("rows", "valid", "created", "would_create",
                                             "already_imported", "seconds")} | {
                    "duplicates": len(body["duplicates"]), "errors": len(body["errors"])}
            results.append(step(platform, label, run))
        results.append(step(platform, f"then, up to {ASSIGN_WAIT:.0f} s for every lead's team",
                            lambda: dict(zip(("assigned", "pending"),
                                             wait_assigned(platform, ASSIGN_WAIT)))))
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
