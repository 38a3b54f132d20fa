"""Security headers on every response: no content sniffing; for HTML (the API documentation
pages), a content security policy that allows only the documentation's own scripts, and no
framing."""

from __future__ import annotations

from litestar.datastructures import MutableScopeHeaders
from litestar.types import Message, Scope

# The documentation pages load their scripts and styles from jsDelivr and inline a little.
_DOCS_CDN = "https://cdn.jsdelivr.net"
CONTENT_SECURITY_POLICY = "; ".join((
    "default-src 'self'",
    f"script-src 'self' 'unsafe-inline' {_DOCS_CDN}",
    f"style-src 'self' 'unsafe-inline' {_DOCS_CDN}",
    f"img-src 'self' data: {_DOCS_CDN}",
    "connect-src 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "form-action 'self'",
))


async def security_headers(message: Message, scope: Scope) -> None:
    if message["type"] != "http.response.start":
        return
    headers = MutableScopeHeaders.from_message(message)
    headers["X-Content-Type-Options"] = "nosniff"
    if headers.get("content-type", "").startswith("text/html"):
        headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
        headers["X-Frame-Options"] = "DENY"
