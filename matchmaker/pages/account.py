"""The way in: the home page, signing in and out, and the language switch."""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated, Any

import asyncpg
from litestar import Controller, Request, get, post
from litestar.datastructures import Cookie
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter
from litestar.response import Redirect, Template

from matchmaker.accounts.signin import SignIn, client_address
from matchmaker.errors import NotAuthenticated, TooManyAttempts
from matchmaker.pages import i18n
from matchmaker.pages.forms import Form
from matchmaker.pages.rendering import page
from matchmaker.pages.sessions import (
    COOKIE,
    LIFETIME,
    SignInRequired,
    Viewer,
    check_csrf,
    close_session,
    open_session,
    provide_viewer,
)

# The sign-in form carries a token also set as a cookie (double submit): another site cannot sign a
# visitor into an account of its choosing.
FORM_COOKIE = "mm_form"
HOME = {"state": "/needs", "donor": "/offers", "coordinator": "/review", "admin": "/review"}


def safe_next(target: str | None) -> str:
    """Only a path on this site: never another host (``//evil``) after signing in."""
    return target if target and target.startswith("/") and not target.startswith("//") else "/"


def _cookie(request: Request[Any, Any, Any], key: str, value: str, max_age: int) -> Cookie:
    return Cookie(key=key, value=value, max_age=max_age, httponly=True, samesite="lax", path="/",
                  secure=request.url.scheme == "https")


class AccountPages(Controller):
    include_in_schema = False

    @get("/")
    async def home(self, request: Request, db: NamedDependency[asyncpg.Connection],
                   lang: NamedDependency[str]) -> Template | Redirect:
        try:
            viewer = await provide_viewer(request, db)
        except SignInRequired:
            return page("home.html", None, lang)
        return Redirect(HOME[viewer.role], status_code=303)

    @get("/signin")
    async def signin_form(self, request: Request, lang: NamedDependency[str],
                          next_: Annotated[str | None, QueryParameter(name="next", max_length=2000)] = None) -> Template:
        return self._form(request, lang, safe_next(next_))

    def _form(self, request: Request, lang: str, target: str, *, email: str = "", error: str | None = None,
              status_code: int = 200) -> Template:
        token = secrets.token_urlsafe(24)
        response = page("signin.html", None, lang, status_code=status_code, form_token=token, next=target,
                        email=email, error=error)
        response.cookies.append(_cookie(request, FORM_COOKIE, token, 3600))
        return response

    @post("/signin")
    async def signin(self, request: Request, data: Form, signin: NamedDependency[SignIn],
                     db: NamedDependency[asyncpg.Connection], lang: NamedDependency[str]) -> Template | Redirect:
        email, target = data.get("email", ""), safe_next(data.get("next"))
        if not hmac.compare_digest(data.get("form_token", "").encode(), request.cookies.get(FORM_COOKIE, "").encode()):
            return self._form(request, lang, target, email=email, status_code=403,
                              error=i18n.gettext(lang, "This form has expired. Please sign in again."))
        try:
            account = await signin.authenticate(email, data.get("password", ""), client_address(request))
        except TooManyAttempts as exc:
            error = i18n.gettext(lang, "Too many failed attempts. Try again in %(seconds)s seconds.") % {
                "seconds": exc.retry_after}
            return self._form(request, lang, target, email=email, error=error, status_code=429)
        except NotAuthenticated:
            return self._form(request, lang, target, email=email, status_code=401,
                              error=i18n.gettext(lang, "Wrong e-mail address or password."))
        key = await open_session(db, account.user.id, account.token_version)
        response = Redirect(target if target != "/" else HOME[account.user.role], status_code=303)
        response.cookies.append(_cookie(request, COOKIE, key, int(LIFETIME.total_seconds())))
        return response

    @post("/signout")
    async def signout(self, request: Request, data: Form, viewer: NamedDependency[Viewer],
                      db: NamedDependency[asyncpg.Connection]) -> Redirect:
        check_csrf(request, viewer, data.get("csrf_token"))
        await close_session(db, request.cookies[COOKIE])
        response = Redirect("/", status_code=303)
        response.cookies.append(_cookie(request, COOKIE, "", 0))
        return response

    @get("/language/{language:str}")
    async def language(self, request: Request, language: FromPath[str],
                       next_: Annotated[str | None, QueryParameter(name="next", max_length=2000)] = None) -> Redirect:
        """Switch the pages' language (remembered for a year); back to where the reader was."""
        response = Redirect(safe_next(next_), status_code=303)
        if language in i18n.LANGUAGES:
            response.cookies.append(_cookie(request, i18n.LANGUAGE_COOKIE, language, 365 * 24 * 3600))
        return response
