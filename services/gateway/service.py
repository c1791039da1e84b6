"""The gateway: the only HTTP surface. HTTP in, RPC to the services, JSON or problem+json out.

The routes live in routes/, one mixin per area; this class assembles them with the
gateway's own dependencies (its accounts database and the configuration).
"""
from __future__ import annotations

from nameko.dependency_providers import Config

from services.gateway.repository import AccountsRepository
from services.gateway.routes.accounts import AccountRoutes, bootstrap_admin
from services.gateway.routes.branches import BranchRoutes
from services.gateway.routes.docs import DocsRoutes
from services.gateway.routes.exports import ExportRoutes
from services.gateway.routes.health import HealthRoutes
from services.gateway.routes.imports import ImportRoutes
from services.gateway.routes.leads import LeadRoutes
from services.gateway.routes.notifications import NotificationRoutes
from services.gateway.routes.paper import PaperRoutes
from services.gateway.routes.policy import PolicyRoutes
from services.gateway.routes.search import SearchRoutes
from services.gateway.routes.sla import SlaRoutes
from services.gateway.routes.supervision import SupervisionRoutes
from services.gateway.routes.tasks import TaskRoutes
from services.gateway.routes.teams import TeamRoutes
from services.gateway.routes.web import WebRoutes
from services.gateway.routes.work import WorkRoutes
from shared.storage import Storage


class GatewayService(
    HealthRoutes, DocsRoutes, AccountRoutes, LeadRoutes, TeamRoutes, BranchRoutes, PolicyRoutes,
    SlaRoutes,
    SupervisionRoutes, TaskRoutes, NotificationRoutes,
    WebRoutes,
    PaperRoutes, ExportRoutes, ImportRoutes,
    SearchRoutes,
    WorkRoutes,
):
    name = "gateway"

    accounts = Storage(AccountsRepository, on_start=bootstrap_admin)
    config = Config()
