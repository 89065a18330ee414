"""The web app and HTTP API (``deepdream serve``): ``app`` (routes), ``jobs`` (the queue), ``server``
(waitress), and the page in ``static/`` (no library, nothing loaded from outside)."""

from deepdream.web.app import create_app
from deepdream.web.jobs import DreamService, Job, Refusal, Settings

__all__ = ["create_app", "DreamService", "Job", "Refusal", "Settings"]
