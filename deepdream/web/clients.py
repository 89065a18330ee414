"""Who a request comes from: a browser's signed anonymous id, and whose turn its dreams take in the fair queue.

- **The id** (the ``deepdream_client`` cookie) names a browser's history and its line in the fair queue. The
  server makes it on the browser's first request and signs it (``itsdangerous``, Flask's own signer) with a
  secret kept in the data folder (``client.key``, made once, readable by its owner only; without a data
  folder, a secret for this process). An id the server did not sign, forged or edited, is ignored: that
  request is a new client's. So a script cannot take another browser's id and see its history, nor name
  itself a new id for each request to get new places in the queue.
- **The turn** in the fair queue is the browser's id; for a request without a valid id (curl, a script that
  drops cookies) it is its address. Serving on a network (``--host`` other than loopback) it is always the
  address, so that the limits per client (``--per-client``) also hold per machine, cookies or not.
- **Behind a proxy** the address is the proxy's: ``--proxies N`` trusts the ``X-Forwarded-For`` of the N
  proxies in front (Werkzeug's ``ProxyFix``); off by default, as a client could write that header itself.
"""

from __future__ import annotations

import os
import secrets
import tempfile
from pathlib import Path

from flask import Flask, Response, g, request
from itsdangerous import BadSignature, Signer
from werkzeug.middleware.proxy_fix import ProxyFix

from deepdream.i18n import gettext as _

CLIENT_COOKIE = "deepdream_client"
SECRET_FILE = "client.key"
SALT = "deepdream-client-id"
COOKIE_DAYS = 365


def client_secret(data_dir: Path | None) -> bytes:
    """The secret that signs client ids: kept in ``data_dir`` (made there once), or new for this process."""
    if data_dir is None:
        return secrets.token_bytes(32)
    path = Path(data_dir) / SECRET_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():  # made once, whole, by whichever process starts first; readable by its owner only
        descriptor, temporary = tempfile.mkstemp(prefix=".client-", dir=data_dir)  # mode 0600
        try:
            with os.fdopen(descriptor, "w") as file:
                file.write(secrets.token_hex(32))
            os.link(temporary, path)  # atomic, and never over a secret another process made meanwhile
        except FileExistsError:
            pass
        finally:
            os.unlink(temporary)
    secret = path.read_bytes().strip()
    if len(secret) < 32:
        raise ValueError(_("{path} is too short to sign with: remove it, and a new one is made at the next "
                           "start.").format(path=path))
    return secret


class Clients:
    """Signs and checks the browsers' ids.

    Args:
        secret: from ``client_secret``.
    """

    def __init__(self, secret: bytes):
        self._signer = Signer(secret, salt=SALT)

    def cookie(self, client: str) -> str:
        """The cookie's value for a client id: the id and its signature."""
        return self._signer.sign(client).decode()

    def identify(self, cookie: str) -> str | None:
        """The client id a cookie carries, or None if the server did not sign it."""
        try:
            return self._signer.unsign(cookie).decode() if cookie else None
        except (BadSignature, UnicodeDecodeError):
            return None


def install(app: Flask, data_dir: Path | None, network: bool, proxies: int = 0) -> Clients:
    """Sets ``g.client`` (the browser's id, new if it has none that the server signed) and ``g.turn`` before
    each request of ``app``, and gives a new browser its cookie.

    Args:
        data_dir: where the signing secret is kept (None: a secret for this process).
        network: serving beyond loopback: the turn is always the client's address.
        proxies: how many proxies in front to trust for ``X-Forwarded-For`` (0: none).
    """
    clients = Clients(client_secret(data_dir))
    if proxies:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies)  # type: ignore[method-assign]

    @app.before_request
    def identify_client() -> None:
        known = clients.identify(request.cookies.get(CLIENT_COOKIE, ""))
        g.client, g.new_client = (known, False) if known else (secrets.token_urlsafe(18), True)
        address = f"address:{request.remote_addr}"
        g.turn = address if network or g.new_client else g.client

    @app.after_request
    def remember_client(response: Response) -> Response:
        if getattr(g, "new_client", False):
            response.set_cookie(CLIENT_COOKIE, clients.cookie(g.client), max_age=COOKIE_DAYS * 24 * 3600,
                                httponly=True, samesite="Strict")
        return response

    return clients
