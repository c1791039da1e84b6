"""What `kubectl kustomize DIR` renders, for the features deploy/ uses: resources (files and
other kustomizations), namespace, images, generatorOptions, configMap and secret generators
(envs, files, literals; labels, type; fixed names only) and JSON 6902 patches with a target.
Anything else in a kustomization fails loudly rather than rendering something kustomize would not."""
from __future__ import annotations

import base64
import copy
from pathlib import Path

import yaml

SUPPORTED = {"apiVersion", "kind", "namespace", "resources", "images", "generatorOptions",
             "configMapGenerator", "secretGenerator", "patches"}
CLUSTER_SCOPED = {"Namespace", "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition"}


class LiteralLoader(yaml.SafeLoader):
    """SafeLoader without the `${ENV}` resolver that nameko adds to SafeLoader."""


LiteralLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "!env_var"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def load_all(text: str) -> list[dict]:
    return [d for d in yaml.load_all(text, Loader=LiteralLoader) if d]


def build(folder: Path) -> list[dict]:
    kustomization = yaml.load((folder / "kustomization.yaml").read_text(encoding="utf-8"),
                              Loader=LiteralLoader)
    unknown = set(kustomization) - SUPPORTED
    assert not unknown, f"{folder}: this renderer does not know {sorted(unknown)}"
    docs: list[dict] = []
    for resource in kustomization.get("resources", []):
        target = (folder / resource).resolve()
        docs += build(target) if target.is_dir() else load_all(target.read_text(encoding="utf-8"))
    options = kustomization.get("generatorOptions", {})
    for spec in kustomization.get("configMapGenerator", []):
        docs.append(generate("ConfigMap", spec, options, folder))
    for spec in kustomization.get("secretGenerator", []):
        docs.append(generate("Secret", spec, options, folder))
    for patch in kustomization.get("patches", []):
        operations = yaml.load(patch["patch"], Loader=LiteralLoader)
        matched = [d for d in docs if matches(d, patch["target"])]
        assert matched, f"{folder}: patch target {patch['target']} matches nothing"
        for doc in matched:
            for operation in operations:
                apply(doc, operation)
    if namespace := kustomization.get("namespace"):
        for doc in docs:
            if doc["kind"] not in CLUSTER_SCOPED:
                doc.setdefault("metadata", {})["namespace"] = namespace
    for image in kustomization.get("images", []):
        for container in containers_of(docs):
            name, _, _ = container["image"].partition(":")
            if name == image["name"]:
                container["image"] = f"{image.get('newName', name)}:{image['newTag']}"
    return docs


def generate(kind: str, spec: dict, options: dict, folder: Path) -> dict:
    merged = {**options, **spec.get("options", {})}
    assert merged.get("disableNameSuffixHash"), "name hashes are not rendered here"
    data: dict[str, str] = {}
    for env_file in spec.get("envs", []):
        for line in (folder / env_file).read_text(encoding="utf-8").splitlines():
            if line.strip() and not line.lstrip().startswith("#"):
                key, _, value = line.partition("=")
                data[key.strip()] = value
    for entry in spec.get("files", []):
        key, _, path = entry.rpartition("=") if "=" in entry else (Path(entry).name, "", entry)
        data[key] = (folder / path).read_text(encoding="utf-8")
    for literal in spec.get("literals", []):
        key, _, value = literal.partition("=")
        data[key] = value
    metadata = {"name": spec["name"]}
    if spec.get("namespace"):
        metadata["namespace"] = spec["namespace"]
    if merged.get("labels"):
        metadata["labels"] = dict(merged["labels"])
    doc = {"apiVersion": "v1", "kind": kind, "metadata": metadata}
    if kind == "Secret":
        doc["type"] = spec.get("type", "Opaque")
        doc["data"] = {k: base64.b64encode(v.encode()).decode() for k, v in data.items()}
    else:
        doc["data"] = data
    return doc


def matches(doc: dict, target: dict) -> bool:
    return all(doc.get("kind") == v if k == "kind" else doc["metadata"].get(k) == v
               for k, v in target.items())


def apply(doc: dict, operation: dict) -> None:
    *parents, last = [p.replace("~1", "/").replace("~0", "~")
                      for p in operation["path"].lstrip("/").split("/")]
    node = doc
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    value = copy.deepcopy(operation.get("value"))
    if operation["op"] == "add":
        if isinstance(node, list):
            node.append(value) if last == "-" else node.insert(int(last), value)
        else:
            node[last] = value
    elif operation["op"] == "replace":
        assert (int(last) < len(node)) if isinstance(node, list) else last in node, operation
        node[int(last) if isinstance(node, list) else last] = value
    else:
        raise AssertionError(f"patch operation {operation['op']} not rendered here")


def pod_specs(docs: list[dict]):
    for doc in docs:
        if doc["kind"] in ("Deployment", "StatefulSet", "DaemonSet", "Job"):
            yield doc, doc["spec"]["template"]["spec"]


def containers_of(docs: list[dict]):
    for _, spec in pod_specs(docs):
        yield from spec.get("initContainers", [])
        yield from spec["containers"]
