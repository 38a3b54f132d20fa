"""The pages' router: their handlers, files, session and language, and errors drawn as pages."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from litestar import Request, Router
from litestar.di import Provide
from litestar.static_files import create_static_files_router

from matchmaker.pages.account import AccountPages
from matchmaker.pages.errors import PAGE_EXCEPTION_HANDLERS, language_of
from matchmaker.pages.gaps import GapPages
from matchmaker.pages.matches import MatchPages
from matchmaker.pages.needs import NeedPages
from matchmaker.pages.offers import OfferPages
from matchmaker.pages.results import ResultPages
from matchmaker.pages.rounds import RoundPages
from matchmaker.pages.sessions import provide_viewer

ASSETS_PATH = "/assets"
ASSETS_DIR = Path(__file__).parent / "static"


def provide_language(request: Request[Any, Any, Any]) -> str:
    return language_of(request)


def pages_router() -> Router:
    return Router(
        path="/",
        route_handlers=[AccountPages, NeedPages, OfferPages, MatchPages, ResultPages, RoundPages, GapPages,
                        create_static_files_router(path=ASSETS_PATH, directories=[ASSETS_DIR], include_in_schema=False)],
        dependencies={"viewer": Provide(provide_viewer), "lang": Provide(provide_language, sync_to_thread=False)},
        exception_handlers=PAGE_EXCEPTION_HANDLERS,
        include_in_schema=False,
        opt={"exclude_from_auth": True},  # pages check the session cookie, not a bearer token
    )
