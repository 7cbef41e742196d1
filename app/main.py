"""App factory: routers, middleware, the one error handler."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from fastapi import APIRouter, Depends, FastAPI
from starlette.types import ASGIApp

from app import models  # noqa: F401  (register every table)
from app.advocates.router import router as advocates_router
from app.agencies.router import router as agencies_router
from app.agreements.router import router as agreements_router
from app.assessments import sources as assessments_sources
from app.assessments.router import router as assessments_router
from app.audit.router import router as audit_router
from app.auth import principal_cache
from app.auth.router import public as auth_public
from app.auth.router import router as auth_router
from app.auth.router import token_router
from app.cases.router import router as cases_router
from app.checklists import sources as checklist_sources
from app.checklists.router import router as checklists_router
from app.children.router import router as children_router
from app.children.sources import register as register_children_sources
from app.consent.metrics import consent_families
from app.consent.router import router as consent_router
from app.contacts.router import router as contacts_router
from app.contacts.sources import register as register_contact_sources
from app.core.config import get_settings, require_keys
from app.core.db import dispose_engine
from app.core.docs import install_docs
from app.core.errors import install_error_handlers
from app.core.health import router as health_router
from app.core.logging import configure_logging
from app.core.metrics import metrics
from app.core.middleware import RequestContextMiddleware
from app.core.openapi import install_openapi, operation_id
from app.core.validation import refuse_nul
from app.court import sources as court_sources
from app.court.router import router as court_router
from app.family.router import public as family_public
from app.family.router import router as family_router
from app.keys.router import router as keys_router
from app.notes.router import router as notes_router
from app.notes.sources import register as register_notes_sources
from app.protective_orders import sources as protective_orders_sources
from app.protective_orders.router import router as protective_orders_router
from app.referrals.metrics import referral_families
from app.referrals.router import router as referrals_router
from app.reports.router import router as reports_router
from app.safety_plans.router import router as safety_plans_router
from app.safety_plans.sources import register as register_safety_plan_sources
from app.services import sources as services_sources
from app.services.router import router as services_router
from app.tasks import sources as task_sources
from app.tasks.router import router as tasks_router
from app.treatment import sources as treatment_sources
from app.treatment.router import router as treatment_router
from app.webhooks.catalogue import document_webhooks
from app.webhooks.metrics import outbox_families
from app.webhooks.router import router as webhooks_router
from app.worker import start_background_worker

DESCRIPTION = """Tandem is the shared service between child protective services (CPS) and domestic-violence (DV)
agencies: joint referrals, safety guidance at case junctures, co-located advocates, and consent-scoped
information sharing. Log in with **Authorize** (a staff email and password) to try the API."""

# Each domain that holds records of a data category registers its source with the disclosure rule here, so that
# `POST /disclosures` (and every other door of the rule) reads them when the rule releases that category.
SOURCE_REGISTRATIONS: tuple[Callable[[], None], ...] = (
    checklist_sources.register, services_sources.register, treatment_sources.register,
    protective_orders_sources.register, court_sources.register, assessments_sources.register,
    register_safety_plan_sources, register_children_sources, register_contact_sources, register_notes_sources,
)


# Every request is matched against the routers in this order, one route after another (twice: FastAPI finds the
# router, then the route in it), so the most requested come first: the token, who-am-I, the referrals and the
# disclosure rule's doors. No two routers answer the same method and path (tests/core/test_routes.py), so the
# order decides nothing else.
ROUTERS: tuple[APIRouter, ...] = (
    health_router, token_router, auth_router, referrals_router, consent_router, auth_public, cases_router,
    tasks_router, checklists_router, advocates_router, services_router, agencies_router, agreements_router,
    audit_router, webhooks_router, reports_router, treatment_router, protective_orders_router, court_router,
    assessments_router, safety_plans_router, children_router, contacts_router, notes_router, keys_router,
    family_public, family_router,
)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    worker = None
    if get_settings().webhook_worker_enabled:
        worker = start_background_worker()
    principal_cache.ensure_listening()  # PostgreSQL: the LISTEN connection that keeps the principal cache on
    settle_heap()
    yield
    await principal_cache.listener.stop()
    if worker is not None:
        await worker.stop()
    await dispose_engine()


def settle_heap() -> None:
    """Move what startup built (modules, tables, routes, schemas: it lives as long as the process) out of the
    garbage collector's reach. A full collection walks every object it tracks, and stops the process while it
    does: over the few hundred thousand objects a started process holds, one took 200 ms in a measured run, a
    pause that every request then waiting sees. Frozen, it walks only what requests since made."""
    gc.collect()
    gc.freeze()


class Tandem(FastAPI):
    def build_middleware_stack(self) -> ASGIApp:
        """The request context wraps everything, the server-error handler included, so a 500 is logged under
        the request id its response carries."""
        return RequestContextMiddleware(super().build_middleware_stack())


def create_app() -> FastAPI:
    settings = get_settings()
    configure_logging(settings.log_level)
    require_keys(settings)  # refuse to start rather than generate keys no other replica has
    app = Tandem(title="Tandem", version="1.0.0", description=DESCRIPTION, lifespan=lifespan,
                  docs_url=None, redoc_url=None,  # served from installed assets: install_docs
                  generate_unique_id_function=operation_id,
                  # Before any route's own dependencies: refused input never reaches a service or the database.
                  dependencies=[Depends(refuse_nul)])
    install_error_handlers(app)
    for register in SOURCE_REGISTRATIONS:
        register()
    task_sources.register()  # the task inbox listens to the events that open and close tasks
    for r in ROUTERS:
        app.include_router(r)
    install_openapi(app, extensions=[document_webhooks])
    install_docs(app)
    for collect in (outbox_families, referral_families, consent_families):  # database gauges on /metrics
        metrics.register(collect)
    return app


app = create_app()
