"""What an operator scrapes, alerts on and looks at: the PodMonitors reach every service's
metrics port, the Prometheus rules pass promtool's check and their unit tests
(rules_test.yaml), and the dashboard's queries are valid PromQL over metrics that exist."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.deploy.kustomize import build
from tests.deploy.test_kubernetes import MONGODB_POD, RABBITMQ_POD, of_kind, selects

ROOT = Path(__file__).resolve().parents[2]
MONITORING = ROOT / "deploy" / "k8s" / "monitoring"
# What the services export (shared/observability.py, services/gateway/metrics.py), as scraped.
KUAIBAN_METRICS = {
    "kuaiban_http_requests_total", "kuaiban_http_request_duration_seconds_bucket",
    "kuaiban_workers_finished_total", "kuaiban_worker_last_success_timestamp_seconds",
    "kuaiban_events_published_total", "kuaiban_outbox_unsent", "kuaiban_dead_letters",
}


def promtool(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["promtool", *args], capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def rules_file(tmp_path_factory) -> Path:
    """The PrometheusRule's groups as a plain rules file, beside a copy of rules_test.yaml."""
    folder = tmp_path_factory.mktemp("rules")
    rule = yaml.safe_load((MONITORING / "prometheusrule.yaml").read_text())
    (folder / "rules.yaml").write_text(yaml.safe_dump({"groups": rule["spec"]["groups"]},
                                                       allow_unicode=True, sort_keys=False))
    shutil.copy(Path(__file__).with_name("rules_test.yaml"), folder / "rules_test.yaml")
    return folder / "rules.yaml"


def dashboard_queries() -> list[str]:
    dashboard = json.loads((MONITORING / "dashboards" / "kuaiban.json").read_text())
    return [t["expr"] for p in dashboard["panels"] for t in p.get("targets", [])]


def test_the_rules_pass_promtool_check(rules_file):
    checked = promtool("check", "rules", str(rules_file))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "SUCCESS: 10 rules found" in checked.stdout


def test_every_alert_fires_when_it_should_and_not_before(rules_file):
    tested = promtool("test", "rules", str(rules_file.with_name("rules_test.yaml")))
    assert tested.returncode == 0, tested.stdout + tested.stderr
    rules = yaml.safe_load(rules_file.read_text())
    alerts = {r["alert"] for g in rules["groups"] for r in g["rules"]}
    unit = yaml.safe_load(Path(__file__).with_name("rules_test.yaml").read_text())
    fired = {a["alertname"] for t in unit["tests"] for a in t["alert_rule_test"] if a["exp_alerts"]}
    assert fired == alerts  # each alert is shown firing at least once
    assert {"KuaibanDeadLetters", "KuaibanEventQueueWithoutConsumer", "KuaibanOutboxBacklog",
            "KuaibanGatewayUnavailableAnswers", "KuaibanGatewaySlow", "KuaibanSlaScanLagging",
            "RabbitmqMemoryAlarm", "RabbitmqDiskAlarm", "MongodbReplicationLag"} <= alerts


def test_a_broken_rule_fails_the_check(rules_file, tmp_path):
    broken = rules_file.read_text().replace("max by (queue) (kuaiban_dead_letters) > 0",
                                            "max by (queue (kuaiban_dead_letters) > 0")
    (tmp_path / "broken.yaml").write_text(broken)
    assert promtool("check", "rules", str(tmp_path / "broken.yaml")).returncode != 0


def test_the_dashboard_queries_are_valid_promql(tmp_path):
    queries = dashboard_queries()
    assert len(queries) >= 15
    # promtool checks PromQL inside rules: each query becomes a recording rule.
    as_rules = {"groups": [{"name": "dashboard", "rules": [
        {"record": f"dashboard:query{i}", "expr": q.replace("$__rate_interval", "5m")}
        for i, q in enumerate(queries)]}]}
    (tmp_path / "dashboard.yaml").write_text(yaml.safe_dump(as_rules))
    checked = promtool("check", "rules", str(tmp_path / "dashboard.yaml"))
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_rules_and_dashboard_use_only_metrics_the_services_export(rules_file):
    exported_in_code = (ROOT / "shared" / "observability.py").read_text() + \
        (ROOT / "services" / "gateway" / "metrics.py").read_text()
    for name in KUAIBAN_METRICS:
        base = re.sub(r"_(total|bucket)$", "", name)
        assert f'"{base}"' in exported_in_code, name
    used = set()
    for text in [rules_file.read_text(), *dashboard_queries()]:
        used |= set(re.findall(r"\bkuaiban_[a-z_]+", text))
    assert used and used <= KUAIBAN_METRICS, used - KUAIBAN_METRICS


def test_pod_monitors_reach_every_service_the_broker_and_the_database(tmp_path):
    base = build_base(tmp_path)
    monitors = of_kind(build(MONITORING), "PodMonitor")
    for name, deployment in of_kind(base, "Deployment").items():
        template = deployment["spec"]["template"]
        ports = {p["name"] for p in template["spec"]["containers"][0]["ports"]}
        scraped = [m for m in monitors.values()
                   if selects(m["spec"]["selector"], template["metadata"]["labels"])]
        assert len(scraped) == 1, name
        endpoint, = scraped[0]["spec"]["podMetricsEndpoints"]
        assert endpoint["port"] in ports and endpoint["path"] == "/metrics", name
    assert selects(monitors["kuaiban-rabbitmq"]["spec"]["selector"], RABBITMQ_POD)
    detailed = [e for e in monitors["kuaiban-rabbitmq"]["spec"]["podMetricsEndpoints"]
                if e["path"] == "/metrics/detailed"]
    assert "queue_consumer_count" in detailed[0]["params"]["family"]
    assert selects(monitors["kuaiban-mongodb"]["spec"]["selector"], MONGODB_POD)


def test_the_dashboard_ships_as_a_grafana_configmap():
    configmap = of_kind(build(MONITORING), "ConfigMap")["kuaiban-dashboard"]
    assert configmap["metadata"]["labels"]["grafana_dashboard"] == "1"
    dashboard = json.loads(configmap["data"]["kuaiban.json"])
    assert dashboard["uid"] == "kuaiban-overview" and dashboard["panels"]


def build_base(tmp_path: Path) -> list[dict]:
    folder = tmp_path / "k8s"
    shutil.copytree(ROOT / "deploy" / "k8s", folder, ignore=shutil.ignore_patterns("secrets"))
    subprocess.run(["sh", str(folder / "make-secrets.sh")], check=True, capture_output=True)
    return build(folder)
