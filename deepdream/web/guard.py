"""Who may use the server: its token, and no state change from another site's page.

- **The token** (``deepdream serve --token SECRET``): every API request needs it, as the header
  ``Authorization: Bearer SECRET`` (scripts, curl) or the cookie the page gets once the student has typed
  it (``POST /api/token``; HttpOnly, SameSite=Strict, kept 30 days). The pages themselves (``/``, ``/live``),
  their static files and ``POST /api/token`` are open, so that a page can load and ask. A missing or wrong
  token is a 401.
- **The origin check**: a request that changes something (POST, PUT, PATCH, DELETE) is refused with a 403
  when the browser says it comes from another origin (``Origin`` not this server's, or ``Sec-Fetch-Site``
  other than ``same-origin`` or ``none``). So a web page a student visits cannot submit or cancel jobs on
  their local server, token or not. curl and scripts send neither header and are not affected.
"""

from __future__ import annotations

import hmac
from typing import Any

from flask import Flask, Response, jsonify, request

from deepdream.i18n import gettext as _

TOKEN_COOKIE = "deepdream_token"
CHANGES = {"POST", "PUT", "PATCH", "DELETE"}
LOOPBACK = {"127.0.0.1", "::1", "localhost"}


def error_response(message: str, status: int, headers: dict[str, str] | None = None) -> Response:
    """The app's one way of saying no: ``{"error": message}`` with ``status`` (a 4xx, or a 5xx) and ``headers``."""
    response = jsonify(error=message)
    response.status_code = status
    response.headers.update(headers or {})
    return response


def from_another_site(req: Any) -> str | None:
    """Why a state-changing request is from another site's page, or None if it is not."""
    if req.method not in CHANGES:
        return None
    site = req.headers.get("Sec-Fetch-Site")
    if site is not None and site not in ("same-origin", "none"):
        return _("Refused: this request came from another site's page (Sec-Fetch-Site: {site}).").format(site=site)
    origin = req.headers.get("Origin")
    if origin is not None and origin != f"{req.scheme}://{req.host}":
        return _("Refused: this request came from a page of {origin}, not of this server ({server}); use the "
                 "studio's own page, or the API without a browser.").format(origin=origin,
                                                                             server=f"{req.scheme}://{req.host}")
    return None


def token_given(req: Any) -> str:
    """The token a request carries: its bearer header, or the page's cookie."""
    header = req.headers.get("Authorization", "")
    if header[:7].lower() == "bearer ":
        return header[7:].strip()
    return req.cookies.get(TOKEN_COOKIE, "")


def install(app: Flask, token: str | None) -> None:
    """Adds the origin check, and with a ``token``, the token check and ``POST /api/token``, to ``app``."""

    @app.before_request
    def guard() -> Response | None:
        reason = from_another_site(request)
        if reason is not None:
            return error_response(reason, 403)
        if token is None or request.path in ("/", "/live") or request.path.startswith("/static/") \
                or request.path == "/api/token":
            return None
        given = token_given(request)
        if given and hmac.compare_digest(given.encode(), token.encode()):
            return None
        message = _("The token is wrong: type it on the page, or send the header 'Authorization: Bearer TOKEN' "
                    "(the teacher who started the server has it).") if given else \
            _("This server is shared with a token: type it on the page, or send the header 'Authorization: "
              "Bearer TOKEN' (the teacher who started the server has it).")
        return error_response(message, 401, {"WWW-Authenticate": "Bearer"})

    @app.post("/api/token")
    def enter_token() -> Response:  # the page sends what the student typed; the cookie keeps it
        given = (request.form.get("token") or "").strip()
        if token is None:
            return jsonify(state="open", message=_("This server needs no token."))
        if not hmac.compare_digest(given.encode(), token.encode()):
            return error_response(_("The token is wrong: ask the teacher who started the server."), 401,
                                  {"WWW-Authenticate": "Bearer"})
        response = jsonify(state="accepted")
        response.set_cookie(TOKEN_COOKIE, token, max_age=30 * 24 * 3600, httponly=True, samesite="Strict")
        return response
