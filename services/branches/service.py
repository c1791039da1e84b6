"""The branches service: the six regional Party branches."""
from __future__ import annotations

from pathlib import Path

import yaml
from nameko.rpc import rpc

from services.branches import domain
from services.branches.repository import BranchesRepository
from shared.jsonable import jsonable
from shared.storage import Storage

BRANCHES_FILE = Path(__file__).with_name("data") / "branches.yaml"


def load_branches_file(path: Path = BRANCHES_FILE) -> list[dict]:
    with open(path, encoding="utf-8") as f:
        return domain.check_branches([{"_id": b.pop("id"), **b} for b in yaml.safe_load(f)])


def seed_from_file(repository: BranchesRepository, config: dict) -> None:
    repository.seed(load_branches_file())


def branch_view(branch: dict) -> dict:
    return jsonable({"id": branch["_id"], **{k: v for k, v in branch.items() if k != "_id"}})


class BranchesService:
    name = "branches"

    storage = Storage(BranchesRepository, on_start=seed_from_file)

    @rpc
    def health(self):
        return {"service": self.name, "database": self.storage.ping()}

    @rpc
    def list_branches(self) -> list[dict]:
        return [branch_view(b) for b in self.storage.all()]

    @rpc
    def get_branch(self, branch_id: str) -> dict:
        return branch_view(self.storage.get(branch_id))
