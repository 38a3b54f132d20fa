"""Errors on pages: the API's problem (same status, title and detail, logged the same way)
drawn as a page in the reader's language; a missing session sends the reader to sign in."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from litestar import Request, Response
from litestar.response import Redirect, Template
from litestar.types import ExceptionHandlersMap

from matchmaker.pages import i18n
from matchmaker.pages.rendering import page
from matchmaker.pages.sessions import SignInRequired
from matchmaker.web.problems import EXCEPTION_HANDLERS


def language_of(request: Request[Any, Any, Any]) -> str:
    return i18n.negotiate(request.cookies.get(i18n.LANGUAGE_COOKIE), request.headers.get("Accept-Language"))


def _sign_in(request: Request[Any, Any, Any], exc: SignInRequired) -> Response:
    target = f"/signin?next={quote(request.url.path)}"
    if request.headers.get("HX-Request"):  # htmx follows a redirect inside the target: reload the page instead
        return Response(b"", status_code=401, headers={"HX-Redirect": target})
    return Redirect(target, status_code=303)


def _error_page(request: Request[Any, Any, Any], exc: Exception) -> Template | Response:
    handler = next(EXCEPTION_HANDLERS[cls] for cls in type(exc).__mro__ if cls in EXCEPTION_HANDLERS)
    problem = handler(request, exc)
    body = problem.content if isinstance(problem.content, dict) else {}
    template = page("error.html", None, language_of(request), status_code=problem.status_code or 500,
                    title=body.get("title", ""), detail=body.get("detail", ""), errors=body.get("errors", []))
    template.headers.update({k: v for k, v in problem.headers.items() if k == "Retry-After"})
    return template


# The same keys as the API's: a page's handlers replace, not add to, the more specific API ones.
PAGE_EXCEPTION_HANDLERS: ExceptionHandlersMap = dict.fromkeys(EXCEPTION_HANDLERS, _error_page) | {SignInRequired: _sign_in}
