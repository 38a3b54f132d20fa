"""The top of the application: the app factory, its lifespan (database, event hub, ranking
engine, alert dispatcher) and the services it hands to controllers as dependencies.

Nothing imports this module but the entry points (``matchmaker serve``, tests): controllers
receive what they need through dependencies, and the HTTP helpers they share live below
them, in ``matchmaker.web``.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager
from datetime import date
from pathlib import Path
from typing import Any

import asyncpg
from litestar import Litestar, MediaType, Response, get
from litestar.datastructures import State
from litestar.di import Provide
from litestar.openapi.config import OpenAPIConfig
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.static_files import create_static_files_router

import matchmaker
from matchmaker import rates
from matchmaker.accounts.controllers import AuthController
from matchmaker.accounts.signin import SignIn
from matchmaker.accounts.tokens import PUBLIC, TokenIssuer, build_jwt_auth
from matchmaker.alerts.controllers import AlertController
from matchmaker.alerts.dispatcher import AlertDispatcher
from matchmaker.db.pool import Database
from matchmaker.db.server import release_embedded, resolve_dsn
from matchmaker.errors import Unavailable
from matchmaker.events.controllers import EventController
from matchmaker.events.hub import EventHub
from matchmaker.matches.controllers import LedgerController, MatchController
from matchmaker.needs.controllers import NeedController
from matchmaker.offers.controllers import OfferController
from matchmaker.organisations.controllers import OrganisationController
from matchmaker.pages.rendering import template_config
from matchmaker.pages.router import pages_router
from matchmaker.ranking.controllers import RankingController
from matchmaker.ranking.service import MODEL_FILE, RankingService
from matchmaker.reporting.controllers import ExportController, StatsController
from matchmaker.results.controllers import IndicatorController, ResultsController
from matchmaker.rounds.controllers import RoundController
from matchmaker.schemas import decode_money, is_money
from matchmaker.settings import Settings, get_settings
from matchmaker.vocabulary.controllers import VocabularyController
from matchmaker.web.headers import security_headers
from matchmaker.web.openapi import StrictStructSchemaPlugin
from matchmaker.web.problems import EXCEPTION_HANDLERS
from matchmaker.web.responses import JSONResponse

STATIC_PATH = "/static"
STATIC_DIR = Path(__file__).parent / "web" / "static"


async def provide_db(state: State) -> AsyncGenerator[asyncpg.Connection, None]:
    """Commit when the handler succeeds, roll back when it raises: no half-written change.
    The request's only pooled connection (a saturated pool answers 503 after a bounded wait)."""
    async with state.database.connection() as conn, conn.transaction():
        yield conn


def _service(name: str) -> Provide:
    """A dependency handing out one of the services the lifespan keeps in ``app.state``."""

    def provide(state: State) -> Any:
        return getattr(state, name)

    return Provide(provide, sync_to_thread=False)


def openapi_config() -> OpenAPIConfig:
    return OpenAPIConfig(
        title="Matchmaker",
        version=matchmaker.__version__,
        description="Matching capacity needs in migration governance with funders and their resources.",
        path="/schema",
        # Served from the package (``web/static``): the documentation works offline.
        render_plugins=[SwaggerRenderPlugin(
            path=["/", "/swagger"], js_url=f"{STATIC_PATH}/swagger-ui/swagger-ui-bundle.js",
            css_url=f"{STATIC_PATH}/swagger-ui/swagger-ui.css",
            standalone_preset_js_url=f"{STATIC_PATH}/swagger-ui/swagger-ui-standalone-preset.js", favicon="",
        )],
        use_handler_docstrings=True,
    )


@get("/health", operation_id="Health", tags=["service"], media_type=MediaType.JSON, security=PUBLIC)
async def health(state: State) -> Response[dict[str, str | bool | None]]:
    """200 when the database answers, 503 (with ``Retry-After``) otherwise; with the day of the
    newest official exchange rates and whether they are stale."""
    try:
        async with state.database.connection() as conn:
            found = await rates.staleness(conn, date.today(), state.rates_stale_days)
    except Exception as exc:  # any failure to reach the database means "not ready"
        return Response({"status": "unavailable", "database": type(exc).__name__}, status_code=503,
                        headers={"Retry-After": str(Unavailable.retry_after)})
    return Response({"status": "ok", "database": "ok", "version": matchmaker.__version__,
                     "rates_date": found.newest_official.isoformat() if found.newest_official else None,
                     "rates_stale": found.stale})


def _lifespan(settings: Settings):
    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncGenerator[None, None]:
        dsn, server = await resolve_dsn(settings)
        app.state.database = await Database.open(dsn, settings.pool_size, settings.pool_timeout)
        app.state.rates_stale_days = settings.rates_stale_days
        app.state.events = EventHub()
        app.state.signin = SignIn(app.state.database)
        app.state.ranking = RankingService(app.state.database, settings.data_dir / MODEL_FILE)
        # Listen before loading, so that no change made meanwhile is missed.
        app.state.events.on_event(app.state.ranking.on_event)
        app.state.alerts = AlertDispatcher(app.state.database, app.state.ranking, app.state.events, settings.alerts)
        app.state.events.on_event(app.state.alerts.on_event)
        await app.state.events.start(dsn)
        await app.state.ranking.start()
        await app.state.alerts.start()
        try:
            yield
        finally:
            await app.state.alerts.stop()
            await app.state.events.stop()
            await app.state.ranking.close()
            await app.state.database.close()
            if server is not None:
                await asyncio.to_thread(release_embedded, server)

    return lifespan


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or get_settings()
    jwt_auth = build_jwt_auth(settings)
    issuer = TokenIssuer(jwt_auth)
    return Litestar(
        route_handlers=[health, AuthController, OrganisationController, NeedController, OfferController,
                        MatchController, LedgerController, RoundController, EventController, StatsController,
                        ExportController, IndicatorController, ResultsController, AlertController, RankingController,
                        VocabularyController,
                        create_static_files_router(path=STATIC_PATH, directories=[STATIC_DIR], include_in_schema=False),
                        pages_router()],
        lifespan=[_lifespan(settings)],
        dependencies={"db": Provide(provide_db), "database": _service("database"), "events": _service("events"),
                      "ranking": _service("ranking"), "signin": _service("signin"),
                      "tokens": Provide(lambda: issuer, use_cache=True, sync_to_thread=False),
                      "publisher": Provide(lambda: settings.iati_publisher, use_cache=True, sync_to_thread=False)},
        on_app_init=[jwt_auth.on_app_init],
        exception_handlers=EXCEPTION_HANDLERS,
        openapi_config=openapi_config(),
        plugins=[StrictStructSchemaPlugin()],
        request_max_body_size=1_000_000,
        before_send=[security_headers],
        type_decoders=[(is_money, decode_money)],
        response_class=JSONResponse,
        template_config=template_config(),
    )
