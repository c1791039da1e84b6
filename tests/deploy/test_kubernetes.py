"""deploy/k8s as `kubectl apply -k` would send it: rendered (tests/deploy/kustomize.py, what
`kubectl kustomize` renders), every object checked against the Kubernetes schemas of 1.29 to 1.37
and the operators' resources against their CRD schemas (tests/deploy/schemas/, taken from the
operator versions deploy/README.md pins), then read as an operator would: secrets, probes,
disruption budgets, spreading, grace, users, network policy, Pod Security."""
from __future__ import annotations

import functools
import json
import os
import re
import shutil
import stat
import subprocess
from pathlib import Path

import jsonschema
import kubernetes_validate
import pytest

from services.gateway.tokens import weak_secret_reason
from shared.reliable import SERVICES
from tests.deploy.kustomize import build, containers_of, load_all, pod_specs

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
SCHEMAS = Path(__file__).with_name("schemas")
KUBERNETES_VERSIONS = [f"1.{minor}.0" for minor in range(29, 38)]
WORKERS = [name for name in SERVICES if name != "gateway"]
OPERATOR_KINDS = {"RabbitmqCluster", "MongoDBCommunity", "User", "Permission", "Policy",
                  "PodMonitor", "PrometheusRule"}
RABBITMQ_POD = {"app.kubernetes.io/name": "kuaiban-rabbitmq", "app.kubernetes.io/component": "rabbitmq"}
MONGODB_POD = {"app": "kuaiban-mongodb-svc"}
MONITORING_NAMESPACE = {"kubernetes.io/metadata.name": "monitoring"}


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> Path:
    """deploy/ copied, with the secrets an operator generates and placeholder certificates."""
    folder = tmp_path_factory.mktemp("deploy") / "deploy"
    shutil.copytree(DEPLOY, folder, ignore=shutil.ignore_patterns("secrets", "certs"))
    subprocess.run(["sh", str(folder / "k8s" / "make-secrets.sh")], check=True, capture_output=True)
    certs = folder / "k8s-tls" / "certs"
    certs.mkdir()
    for name in ("ca.crt", "rabbitmq.crt", "rabbitmq.key", "mongodb.crt", "mongodb.key"):
        (certs / name).write_text(f"placeholder {name}\n")
    return folder


@pytest.fixture(scope="module")
def base(workspace) -> list[dict]:
    return build(workspace / "k8s")


@pytest.fixture(scope="module")
def tls(workspace) -> list[dict]:
    return build(workspace / "k8s-tls")


@pytest.fixture(scope="module")
def monitoring(workspace) -> list[dict]:
    return build(workspace / "k8s" / "monitoring")


def of_kind(docs, kind) -> dict[str, dict]:
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == kind}


def selects(selector: dict, labels: dict) -> bool:
    return all(labels.get(k) == v for k, v in selector.get("matchLabels", {}).items())


# -- schemas ------------------------------------------------------------------------------

def crd_schema(doc: dict) -> dict:
    group, version = doc["apiVersion"].split("/")
    return crd_validator(f"{group}_{doc['kind']}_{version}.json").schema


@functools.lru_cache(maxsize=None)
def crd_validator(file_name: str):
    found = json.loads((SCHEMAS / file_name).read_text())
    return jsonschema.Draft7Validator(closed(found["schema"]))


def crd_validate(doc: dict) -> None:
    group, version = doc["apiVersion"].split("/")
    error = jsonschema.exceptions.best_match(
        crd_validator(f"{group}_{doc['kind']}_{version}.json").iter_errors(doc))
    if error is not None:
        raise error


def closed(schema):
    """The CRD schema, with unknown fields refused (the API server would silently prune a
    misspelt field) and Kubernetes' int-or-string understood."""
    if isinstance(schema, list):
        return [closed(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    schema = {k: closed(v) for k, v in schema.items() if not k.startswith("x-kubernetes-")
              or k in ("x-kubernetes-preserve-unknown-fields", "x-kubernetes-int-or-string")}
    if schema.pop("x-kubernetes-int-or-string", False):
        schema["anyOf"] = [{"type": "integer"}, {"type": "string"}]
    open_ended = schema.pop("x-kubernetes-preserve-unknown-fields", False)
    if "properties" in schema and "additionalProperties" not in schema and not open_ended:
        schema["additionalProperties"] = False
    schema.pop("nullable", None)
    if isinstance(schema.get("pattern"), str) and schema["pattern"].startswith("^(?i)"):  # Go
        schema["pattern"] = "(?i)^" + schema["pattern"][len("^(?i)"):]
    return schema


@functools.lru_cache(maxsize=None)
def kubernetes_validator(version: str, kind: str, api_version: str):
    """The strict schema kubernetes-validate checks `kind` against in `version`, parsed once
    (kubernetes_validate.validate reads its 10 MB of definitions at every call)."""
    from kubernetes_validate.utils import schema_contents
    from referencing import Registry, Resource

    folder = f"kubernetes-json-schema/v{version}-local-strict"
    group = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)
    schema = schema_contents(f"{folder}/{kind.lower()}-{group}.json", version)
    definitions = schema_contents(f"{folder}/_definitions.json", version)
    registry = Resource.from_contents(definitions) @ (Resource.from_contents(schema) @ Registry())
    return jsonschema.Draft202012Validator(schema, registry=registry)


def kubernetes_validate_doc(doc: dict, version: str) -> None:
    validator = kubernetes_validator(version, doc["kind"], doc["apiVersion"])
    error = jsonschema.exceptions.best_match(validator.iter_errors(doc))
    if error is not None:
        raise error


def validate_all(docs: list[dict]) -> int:
    checked = 0
    for doc in docs:
        if doc["kind"] in OPERATOR_KINDS:
            crd_validate(doc)
        else:
            for version in KUBERNETES_VERSIONS:
                kubernetes_validate_doc(doc, version)
        checked += 1
    return checked


def test_every_object_validates_against_kubernetes_and_the_operators_schemas(base, tls, monitoring):
    assert validate_all(base) == len(base) > 50
    assert validate_all(tls) == len(tls)
    assert validate_all(monitoring) == len(monitoring) == 6


def test_a_misspelt_field_is_caught_by_the_schemas(base):
    rabbit = json.loads(json.dumps(of_kind(base, "RabbitmqCluster")["kuaiban-rabbitmq"]))
    rabbit["spec"]["replica"] = 3
    with pytest.raises(jsonschema.ValidationError):
        crd_validate(rabbit)
    deployment = json.loads(json.dumps(of_kind(base, "Deployment")["leads"]))
    deployment["spec"]["template"]["spec"]["containers"][0]["livenesProbe"] = {}
    with pytest.raises(jsonschema.ValidationError):
        kubernetes_validate_doc(deployment, KUBERNETES_VERSIONS[0])
    # The same check as kubernetes-validate's own.
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, KUBERNETES_VERSIONS[0], strict=True)


# -- secrets ------------------------------------------------------------------------------

def test_the_repository_ships_no_secret_and_no_placeholder():
    for path in sorted(DEPLOY.rglob("*.yaml")):
        text = path.read_text()
        assert "REPLACE_ME" not in text, path
        assert all(d["kind"] != "Secret" for d in load_all(text) if isinstance(d, dict)), path
    for folder in ("deploy/k8s/secrets/", "deploy/k8s-tls/certs/"):
        ignored = subprocess.run(["git", "check-ignore", "-q", folder + "x.env"], cwd=ROOT)
        assert ignored.returncode == 0, f"{folder} is not ignored by git"


def test_make_secrets_writes_strong_url_safe_values_once(workspace, base):
    secrets_dir = workspace / "k8s" / "secrets"
    before = {p.name: p.read_text() for p in secrets_dir.iterdir()}
    subprocess.run(["sh", str(workspace / "k8s" / "make-secrets.sh")], check=True, capture_output=True)
    assert {p.name: p.read_text() for p in secrets_dir.iterdir()} == before  # kept, not rewritten
    for path in secrets_dir.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) & 0o077 == 0, path  # the owner's only
    env = dict(line.split("=", 1) for line in before["kuaiban.env"].split())
    assert weak_secret_reason(env["KUAIBAN_JWT_SECRET"]) is None
    for name in ("mongodb-passwords.env", *(f"rabbitmq-{s}.env" for s in SERVICES)):
        for line in before[name].split():
            key, value = line.split("=", 1)
            assert re.fullmatch(r"[A-Za-z0-9-]+", value), (name, key)  # safe inside a URI
            assert key == "username" or len(value) >= 24, (name, key)
    generated = of_kind(base, "Secret")
    assert {f"kuaiban-rabbitmq-{s}" for s in SERVICES} | {
        "kuaiban-secrets", "kuaiban-mongodb-passwords", "kuaiban-mongodb-metrics"} == set(generated)


# -- the services' pods -------------------------------------------------------------------

def test_every_service_runs_two_replicas_with_its_own_users(base):
    deployments = of_kind(base, "Deployment")
    assert set(deployments) == set(SERVICES)
    mongo_users = {u["name"]: u for u in of_kind(base, "MongoDBCommunity")["kuaiban-mongodb"]["spec"]["users"]}
    rabbit_users = of_kind(base, "User")
    permissions = {p["spec"]["userReference"]["name"]: p for p in of_kind(base, "Permission").values()}
    for name, deployment in deployments.items():
        assert deployment["spec"]["replicas"] >= 2
        container, = deployment["spec"]["template"]["spec"]["containers"]
        assert container["command"][-1] == SERVICES[name]
        refs = {e["name"]: e["valueFrom"]["secretKeyRef"]["name"]
                for e in container["env"] if "valueFrom" in e}
        assert refs["AMQP_USER"] == refs["AMQP_PASSWORD"] == f"kuaiban-rabbitmq-{name}"
        assert rabbit_users[f"kuaiban-{name}"]["spec"]["importCredentialsSecret"]["name"] == refs["AMQP_USER"]
        assert "administrator" not in rabbit_users[f"kuaiban-{name}"]["spec"].get("tags", [])
        assert f"kuaiban-{name}" in permissions
        assert mongo_users[name]["connectionStringSecretName"] == refs["MONGO_URI"]
        assert mongo_users[name]["roles"] == [{"name": "readWrite", "db": f"kuaiban_{name}"}]


def test_probes_check_the_pod_itself(base):
    for name, deployment in of_kind(base, "Deployment").items():
        container, = deployment["spec"]["template"]["spec"]["containers"]
        for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
            assert container.get(probe), (name, probe)
        if name == "gateway":
            assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
            assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
            continue
        assert container["livenessProbe"]["exec"]["command"] == [
            "python", "-m", "shared.healthcheck", "live", name]
        assert container["startupProbe"]["exec"]["command"] == [
            "python", "-m", "shared.healthcheck", "live", name]
        assert container["readinessProbe"]["exec"]["command"] == [
            "python", "-m", "shared.healthcheck", "ready", name]
        # The heartbeat file sits on a writable /tmp of the pod's own.
        mounts = {m["mountPath"] for m in container["volumeMounts"]}
        assert "/tmp" in mounts
    config = of_kind(base, "ConfigMap")["kuaiban-config"]["data"]
    assert config["KUAIBAN_HEALTH_FILE"].startswith("/tmp/")


def test_drains_and_rollouts_keep_a_replica_and_let_workers_finish(base):
    budgets = of_kind(base, "PodDisruptionBudget")
    for name, deployment in of_kind(base, "Deployment").items():
        template = deployment["spec"]["template"]
        budget = budgets[name]
        assert budget["spec"]["minAvailable"] == 1
        assert selects(budget["spec"]["selector"], template["metadata"]["labels"])
        assert deployment["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0
        keys = {c["topologyKey"] for c in template["spec"]["topologySpreadConstraints"]}
        assert {"kubernetes.io/hostname", "topology.kubernetes.io/zone"} <= keys
        grace = template["spec"]["terminationGracePeriodSeconds"]
        container = template["spec"]["containers"][0]
        if name == "gateway":
            pause = int(container["lifecycle"]["preStop"]["exec"]["command"][-1])
            assert pause >= 5 and grace >= pause + 30
        else:
            assert grace >= 60  # a delivery's tries or a report outlast the default 30 s


def test_metrics_are_on_for_every_service(base):
    config = of_kind(base, "ConfigMap")["kuaiban-config"]["data"]
    for name, deployment in of_kind(base, "Deployment").items():
        container = deployment["spec"]["template"]["spec"]["containers"][0]
        ports = {p["name"]: p["containerPort"] for p in container["ports"]}
        if name == "gateway":
            assert "http" in ports  # /metrics on its own port
            assert {"name": "METRICS_PORT", "value": ""} in container["env"]
        else:
            assert ports["metrics"] == int(config["METRICS_PORT"])


def test_pod_security_restricted_is_enforced_and_met(base):
    namespace = of_kind(base, "Namespace")["kuaiban"]
    assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    for doc, spec in pod_specs(base):
        pod = spec["securityContext"]
        assert pod["runAsNonRoot"] is True and pod["seccompProfile"]["type"] == "RuntimeDefault"
        assert spec["automountServiceAccountToken"] is False
        for container in spec["containers"]:
            context = container["securityContext"]
            assert context["allowPrivilegeEscalation"] is False, doc["metadata"]["name"]
            assert context["capabilities"]["drop"] == ["ALL"]
            assert context["readOnlyRootFilesystem"] is True
            assert not context.get("privileged")
        assert not any(v.get("hostPath") for v in spec.get("volumes", []))


def test_the_image_is_set_by_the_kustomization(base):
    assert {c["image"] for c in containers_of(base)} == {"kuaiban:latest"}


# -- broker and database ------------------------------------------------------------------

def test_rabbitmq_is_a_supported_4x_cluster_of_quorum_queues(base):
    rabbit = of_kind(base, "RabbitmqCluster")["kuaiban-rabbitmq"]["spec"]
    assert rabbit["replicas"] == 3
    assert re.fullmatch(r"rabbitmq:4\.\d+\.\d+(-management)?", rabbit["image"])
    assert "default_queue_type = quorum" in rabbit["rabbitmq"]["additionalConfig"]
    policy = of_kind(base, "Policy")["kuaiban-event-queues"]["spec"]
    assert policy["applyTo"] == "quorum_queues" and policy["definition"]["delivery-limit"] > 0
    assert re.match(policy["pattern"], "evt-leads-lead_created--teams.assign_lead")
    assert of_kind(base, "ConfigMap")["kuaiban-config"]["data"]["EVENT_QUEUE_TYPE"] == "quorum"


def test_mongodb_runs_under_its_successor_operator_with_no_all_database_role(base):
    mongo = of_kind(base, "MongoDBCommunity")["kuaiban-mongodb"]
    assert mongo["apiVersion"] == "mongodbcommunity.mongodb.com/v1"
    assert mongo["spec"]["members"] == 3 and mongo["spec"]["version"].startswith("7.0.")
    roles = [r["name"] for u in mongo["spec"]["users"] for r in u["roles"]]
    assert roles and not [r for r in roles if "Any" in r or r in ("root", "dbOwner")]
    assert mongo["spec"]["prometheus"]["passwordSecretRef"]["name"] == "kuaiban-mongodb-metrics"


def test_tls_overlay_encrypts_both(tls):
    config = of_kind(tls, "ConfigMap")["kuaiban-config"]["data"]
    assert config["AMQP_SCHEME"] == "amqps" and config["AMQP_HOST"].endswith(":5671")
    assert of_kind(tls, "RabbitmqCluster")["kuaiban-rabbitmq"]["spec"]["tls"]["disableNonTLSListeners"]
    mongo_tls = of_kind(tls, "MongoDBCommunity")["kuaiban-mongodb"]["spec"]["security"]["tls"]
    assert mongo_tls["enabled"] and not mongo_tls["optional"]
    for _, spec in pod_specs(tls):
        mount = {m["mountPath"] for m in spec["containers"][0]["volumeMounts"]}
        assert os.path.dirname(config["SSL_CERT_FILE"]) in mount


# -- network policy -----------------------------------------------------------------------

def allowed(policies, direction: str, pod: dict, peer: dict, port: int,
            peer_namespace: dict | None = None) -> bool:
    """Whether `pod` may send (egress) or take (ingress) TCP `port` to or from `peer`."""
    kind, key = ("Egress", "to") if direction == "egress" else ("Ingress", "from")
    for policy in policies:
        spec = policy["spec"]
        if kind not in spec["policyTypes"] or not selects(spec["podSelector"], pod):
            continue
        for rule in spec.get(direction, []):
            ports = rule.get("ports")
            if ports and not any(p["port"] <= port <= p.get("endPort", p["port"]) for p in ports):
                continue
            peers = rule.get(key)
            if not peers:
                return True
            for candidate in peers:
                in_namespace = candidate.get("namespaceSelector")
                if in_namespace is not None and (peer_namespace is None
                                                 or not selects(in_namespace, peer_namespace)):
                    continue
                if in_namespace is None and peer_namespace is not None:
                    continue
                if "ipBlock" in candidate or selects(candidate.get("podSelector", {}), peer):
                    return True
    return False


def test_network_policy_denies_by_default_and_lets_each_service_work(base):
    policies = list(of_kind(base, "NetworkPolicy").values())
    default = of_kind(base, "NetworkPolicy")["default-deny"]["spec"]
    assert default["podSelector"] == {} and set(default["policyTypes"]) == {"Ingress", "Egress"}
    dns = {"k8s-app": "kube-dns"}
    for name, deployment in of_kind(base, "Deployment").items():
        pod = deployment["spec"]["template"]["metadata"]["labels"]
        assert allowed(policies, "egress", pod, RABBITMQ_POD, 5672), name
        assert allowed(policies, "ingress", RABBITMQ_POD, pod, 5672), name
        assert allowed(policies, "egress", pod, MONGODB_POD, 27017), name
        assert allowed(policies, "ingress", MONGODB_POD, pod, 27017), name
        assert allowed(policies, "egress", pod, dns, 53, {"kubernetes.io/metadata.name": "kube-system"})
        port = 8000 if name == "gateway" else 9100
        assert allowed(policies, "ingress", pod, {}, port, MONITORING_NAMESPACE), name
        # Nothing else: no service may reach another's port, nor the internet (but the notifier).
        assert not allowed(policies, "egress", pod, {"app.kubernetes.io/name": "leads"}, 9100)
        assert allowed(policies, "egress", pod, {}, 443, {}) == (name == "notifier"), name
    gateway = of_kind(base, "Deployment")["gateway"]["spec"]["template"]["metadata"]["labels"]
    assert allowed(policies, "ingress", gateway, {}, 8000, {})
    worker = of_kind(base, "Deployment")["leads"]["spec"]["template"]["metadata"]["labels"]
    assert not allowed(policies, "ingress", worker, {}, 9100, {})
    assert allowed(policies, "ingress", RABBITMQ_POD, RABBITMQ_POD, 25672)
    assert allowed(policies, "egress", MONGODB_POD, MONGODB_POD, 27017)


# -- the operator's guide -----------------------------------------------------------------

def test_the_readme_pins_the_operators_that_the_schemas_come_from():
    readme = (DEPLOY / "README.md").read_text()
    assert "releases/latest" not in readme
    for schema in SCHEMAS.glob("*.json"):
        origin = json.loads(schema.read_text())["origin"]
        version = re.search(r" (v?\d+\.\d+\.\d+):", origin).group(1)
        assert version in readme, (schema.name, version)
    for step in ("make-secrets.sh", "kubectl apply -k deploy/k8s", "kubectl apply -k deploy/k8s/monitoring",
                 "deploy/k8s-tls"):
        assert step in readme, step
