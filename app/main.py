"""App factory: routers, middleware, the one error handler."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI
from starlette.types import ASGIApp

from app import models  # noqa: F401  (register every table)
from app.advocates.router import router as advocates_router
from app.agencies.router import router as agencies_router
from app.agreements.router import router as agreements_router
from app.audit.router import router as audit_router
from app.auth.router import public as auth_public
from app.auth.router import router as auth_router
from app.auth.router import token_router
from app.cases.router import router as cases_router
from app.checklists.router import router as checklists_router
from app.consent.metrics import consent_families
from app.consent.router import router as consent_router
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
from app.referrals.metrics import referral_families
from app.referrals.router import router as referrals_router
from app.reports.router import router as reports_router
from app.webhooks.catalogue import document_webhooks
from app.webhooks.metrics import outbox_families
from app.webhooks.router import router as webhooks_router
from app.worker import start_background_worker

DESCRIPTION = """Tandem is the shared service between child protective services (CPS) and domestic-violence (DV)
agencies: joint referrals, safety guidance at case junctures, co-located advocates, and consent-scoped
information sharing. Log in with **Authorize** (a staff email and password) to try the API."""


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    worker = None
    if get_settings().webhook_worker_enabled:
        worker = start_background_worker()
    yield
    if worker is not None:
        await worker.stop()
    await dispose_engine()


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
    for r in (
        health_router, auth_public, token_router, auth_router, agencies_router, agreements_router, cases_router,
        consent_router, referrals_router, checklists_router, advocates_router, audit_router,
        webhooks_router, reports_router,
    ):
        app.include_router(r)
    install_openapi(app, extensions=[document_webhooks])
    install_docs(app)
    for collect in (outbox_families, referral_families, consent_families):  # database gauges on /metrics
        metrics.register(collect)
    return app


app = create_app()
