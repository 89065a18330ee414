"""The web studio and HTTP API (``deepdream serve``), and ``deepdream worker``.

* ``settings``: the service's settings and its refusals (a 4xx or 5xx with a message);
* ``guard``: the token, and no state change from another site's page;
* ``clients``: each browser's signed anonymous id, and whose turn its dreams take in the fair queue;
* ``forms``: reading a dream request (its start, fields and mask);
* ``fairness``: the fair queue, one line per client;
* ``store``: the job store (Huey's storage), each state change atomic; ``engine``: the workers that dream
  from it; ``dispatch``: the web process's side of it; ``jobs``: the queue, progress, preview and
  cancelling (``DreamService``);
* ``movies``: zoom animations and dreamed clips; ``strips``: a layer's channel strip;
* ``scheduler``: one policy for the process's CPU: live frames first, then the jobs' and strips' steps;
* ``history``: each browser's dreams, kept in SQLite and files, and their routes;
* ``live``: the ``/live`` page, its frames and the ``/live.mjpg`` stream;
* ``studio``: the page and what it reads first (layers, fields); ``api``: the dream routes;
* ``locales``: each request's language (Flask-Babel: ``?lang=``, a cookie, ``Accept-Language``), in which the
  pages and the API's messages are said;
* ``app``: ``create_app`` (Flask), which registers those four blueprints; ``server``: waitress and
  ``deepdream worker``; and the pages: ``templates/`` and ``static/`` (no library, nothing loaded from outside).
"""

from deepdream.web.app import create_app
from deepdream.web.jobs import DreamRequest, DreamService, Job
from deepdream.web.settings import Refusal, Settings

__all__ = ["create_app", "DreamRequest", "DreamService", "Job", "Refusal", "Settings"]
