"""docker-compose.yml runs every Kuaiban service, each health-checked (deploy/k8s: test_kubernetes.py).

No Docker here: the file is parsed and checked against the code.
"""
from __future__ import annotations

import importlib
import inspect
import os
import re
import subprocess
from pathlib import Path

import yaml


class LiteralLoader(yaml.SafeLoader):
    """SafeLoader without the `${ENV}` resolver that nameko's config parser adds to SafeLoader:
    these files are read as written, as Docker and kubectl read them."""


LiteralLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "!env_var"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}

ROOT = Path(__file__).resolve().parents[2]
SERVICES = {
    "gateway": "GatewayService", "leads": "LeadsService", "teams": "TeamsService",
    "branches": "BranchesService", "policy": "PolicyService", "sla": "SlaService",
    "supervision": "SupervisionService", "notifier": "NotifierService",
}
TARGET = re.compile(r"^services\.(\w+)\.service:(\w+)$")


def compose() -> dict:
    return yaml.load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"), Loader=LiteralLoader)


def kuaiban_services() -> dict:
    return {k: v for k, v in compose()["services"].items() if k not in ("rabbitmq", "mongo")}


def target_of(command) -> str:
    """The `services.<name>.service:<Class>` argument of a `nameko run` command."""
    assert isinstance(command, list) and command[:2] == ["nameko", "run"], command
    targets = [a for a in command if TARGET.match(a)]
    assert len(targets) == 1, command
    return targets[0]


def service_class(target: str):
    module, cls = target.split(":")
    return getattr(importlib.import_module(module), cls)


def classes_in_code() -> set[str]:
    """Every nameko service class under services/*/service.py, as `module:Class`."""
    found = set()
    for path in sorted((ROOT / "services").glob("*/service.py")):
        module = importlib.import_module(f"services.{path.parent.name}.service")
        for cls_name, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ == module.__name__ and isinstance(getattr(cls, "name", None), str):
                found.add(f"{module.__name__}:{cls_name}")
    return found


# -- docker-compose.yml ---------------------------------------------------------------

def test_compose_runs_exactly_the_kuaiban_services():
    assert set(kuaiban_services()) == set(SERVICES)


def test_each_compose_service_runs_its_own_service_class():
    for name, svc in kuaiban_services().items():
        assert "image" in svc or "build" in svc, name
        target = target_of(svc.get("command"))
        assert target == f"services.{name}.service:{SERVICES[name]}", name
        assert service_class(target).name == name


def test_each_compose_service_has_broker_database_healthcheck_and_waits_for_them():
    for name, svc in kuaiban_services().items():
        env = svc.get("environment") or {}
        assert {"AMQP_URI", "MONGO_URI"} <= set(env), name
        assert svc.get("healthcheck", {}).get("test"), name
        depends = svc.get("depends_on") or {}
        for dep in ("rabbitmq", "mongo"):
            assert depends.get(dep, {}).get("condition") == "service_healthy", (name, dep)


def test_workers_are_checked_by_their_own_heartbeat_and_gateway_over_http():
    for name, svc in kuaiban_services().items():
        test = svc["healthcheck"]["test"]
        if name == "gateway":
            assert "/readyz" in " ".join(test)
        else:
            assert test == ["CMD", "python", "-m", "shared.healthcheck", "ready", name]
            assert svc["environment"]["KUAIBAN_HEALTH_FILE"]


def test_broker_and_database_have_healthchecks_and_mongo_is_a_replica_set():
    services = compose()["services"]
    for name in ("rabbitmq", "mongo"):
        assert services[name].get("healthcheck", {}).get("test"), name
    assert "--replSet" in " ".join(services["mongo"]["entrypoint"])
    assert "replicaSet=" in kuaiban_services()["leads"]["environment"]["MONGO_URI"]


def test_only_the_gateway_is_published():
    published = {name for name, svc in compose()["services"].items() if svc.get("ports")}
    assert published == {"gateway"}


def test_mongodb_requires_authentication_and_the_services_log_in():
    mongo = compose()["services"]["mongo"]
    assert mongo["environment"]["MONGO_INITDB_ROOT_PASSWORD"].startswith("${")
    assert "--keyFile" in " ".join(mongo["entrypoint"])  # auth on a replica set needs one
    init = [v for v in mongo["volumes"] if "docker-entrypoint-initdb.d" in v]
    assert init and (ROOT / init[0].split(":")[0]).is_file()
    script = (ROOT / init[0].split(":")[0]).read_text()
    assert "readWrite" in script and "AnyDatabase" not in script
    for name, svc in kuaiban_services().items():
        assert re.match(r"mongodb://kuaiban:\$\{KUAIBAN_MONGO_PASSWORD:\?", svc["environment"]["MONGO_URI"]), name
        assert not svc["environment"]["AMQP_URI"].startswith("amqp://guest"), name


def test_data_lives_in_volumes_and_every_container_restarts():
    services = compose()["services"]
    declared = set(compose()["volumes"])
    for name, svc in services.items():
        assert svc.get("restart") == "unless-stopped", name
    for name, path in (("rabbitmq", "/var/lib/rabbitmq"), ("mongo", "/data/db")):
        volume = next(v for v in services[name]["volumes"] if v.endswith(":" + path))
        assert volume.split(":")[0] in declared


def test_the_broker_is_a_supported_rabbitmq_4():
    image = compose()["services"]["rabbitmq"]["image"]
    assert re.match(r"rabbitmq:4\.\d+\.\d+", image), image


def test_make_down_needs_none_of_the_secrets_compose_insists_on():
    required = set(re.findall(r"\$\{(\w+):\?", (ROOT / "docker-compose.yml").read_text()))
    assert required
    env = {k: v for k, v in os.environ.items() if k not in required}
    plan = subprocess.run(["make", "-n", "down"], cwd=ROOT, env=env, capture_output=True,
                          text=True, check=True).stdout
    line = next(text for text in plan.splitlines() if "docker compose down" in text)
    for name in required:
        assert f"{name}=${{{name}:-" in line, name


def test_compose_commands_cover_every_service_class_in_the_code():
    commands = {target_of(svc["command"]) for svc in kuaiban_services().values()}
    assert commands == classes_in_code()
