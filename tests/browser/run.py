"""`python -m tests.browser.run <scenario> <job.json>`: one scenario in its own process."""
from __future__ import annotations

import json
import sys
import time
import traceback
from pathlib import Path

from playwright.sync_api import sync_playwright

from tests.browser import journeys  # noqa: F401  (registers the scenarios)
from tests.browser.driver import SCENARIOS, Run


def main() -> int:
    name, job_file = sys.argv[1], sys.argv[2]
    job = json.loads(Path(job_file).read_text())
    started = time.monotonic()
    with sync_playwright() as pw:
        run = Run(pw, job)
        try:
            SCENARIOS[name](run)
            outcome = {"ok": True}
        except Exception as exc:  # reported to the test, which fails with it
            run.failed(name)
            outcome = {"ok": False, "error": f"{type(exc).__name__}: {exc}",
                       "traceback": traceback.format_exc()[-4000:]}
        finally:
            run.close()
    outcome.update(console_errors=run.console, axe=run.axe, figures=run.figures,
                   seconds=round(time.monotonic() - started, 1))
    print(json.dumps(outcome, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
