"""The container probes, run as the kubelet runs them, against a live service, a wedged one and
one whose database is away: liveness reads this very process's heartbeat (no sibling can
answer for it) and survives a dependency outage; readiness fails during one."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

from nameko.standalone.rpc import ServiceRpcProxy

from shared.config import ROOT
from shared.embedded_db import EmbeddedMongo
from shared.healthcheck import check, live_problem
from tests.faults.harness import eventually


def probe(mode: str, service: str, heartbeat, stale: float = 30) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "shared.healthcheck", mode, service,
                           "--file", str(heartbeat), "--stale", str(stale)],
                          cwd=ROOT, capture_output=True, text=True, timeout=20)


def test_probes_follow_a_live_a_cut_off_and_a_wedged_service(run_service, tmp_path):
    database = EmbeddedMongo(tmp_path / "db", log_path=tmp_path / "db.log")
    heartbeat = tmp_path / "health" / "teams.json"
    try:
        teams = run_service("teams", MONGO_URI=database.start(), KUAIBAN_HEALTH_FILE=str(heartbeat),
                            KUAIBAN_HEALTH_INTERVAL_SECONDS="0.5")
        eventually(lambda: probe("ready", "teams", heartbeat).returncode == 0, within=60,
                   what="teams to be ready")
        assert probe("live", "teams", heartbeat).returncode == 0
        assert json.loads(heartbeat.read_text())["consumer_threads"] >= 1  # found and running
        # Another service's heartbeat does not pass for this one's.
        assert probe("live", "leads", heartbeat).returncode == 1

        # The database goes away: no more traffic for the pod, but no restart either.
        database.stop()
        not_ready = eventually(lambda: (r := probe("ready", "teams", heartbeat)).returncode == 1
                               and r, within=20, what="readiness to fail")
        assert "database" in not_ready.stderr
        assert probe("live", "teams", heartbeat).returncode == 0
        database.start()
        eventually(lambda: probe("ready", "teams", heartbeat).returncode == 0, within=20,
                   what="readiness to come back")

        # Wedged: the process no longer runs at all (its event loop cannot beat).
        os.kill(teams.process.pid, signal.SIGSTOP)
        try:
            wedged = eventually(lambda: (r := probe("live", "teams", heartbeat, stale=3))
                                .returncode == 1 and r, within=20, what="liveness to fail")
            assert "wedged" in wedged.stderr
        finally:
            os.kill(teams.process.pid, signal.SIGCONT)
        eventually(lambda: probe("live", "teams", heartbeat, stale=3).returncode == 0, within=10,
                   what="liveness to come back")

        # The process gone: its last heartbeat does not keep it alive.
        teams.stop()
        assert probe("live", "teams", heartbeat).returncode == 1
    finally:
        database.stop()


def test_a_beat_with_stopped_consumers_is_not_alive():
    beat = {"service": "teams", "pid": os.getpid(), "beat_at": 100.0, "consumers": False}
    assert "consumers" in live_problem(beat, "teams", 30, now=101.0)
    assert live_problem({**beat, "consumers": True}, "teams", 30, now=101.0) is None


def test_the_rpc_probe_leaves_no_reply_queue_behind(run_service, rabbit_config, rabbit_manager):
    run_service("teams")

    def answered():
        try:
            return check("teams", rabbit_config, timeout=2)
        except Exception:
            return None

    assert eventually(answered, within=60, what="teams' health RPC")["service"] == "teams"
    for _ in range(3):
        check("teams", rabbit_config, timeout=5)
    queues = [q["name"] for q in rabbit_manager.get_queues(rabbit_config["vhost"])]
    assert [q for q in queues if q.startswith("rpc.reply-standalone_rpc_proxy")] == []
    # nameko's own standalone proxy, by contrast, leaves its durable reply queue for 5 minutes.
    with ServiceRpcProxy("teams", rabbit_config, timeout=5) as proxy:
        proxy.health()
    queues = [q["name"] for q in rabbit_manager.get_queues(rabbit_config["vhost"])]
    assert len([q for q in queues if q.startswith("rpc.reply-standalone_rpc_proxy")]) == 1
