"""The web studio and HTTP API (``deepdream serve``): ``app`` (routes), ``forms`` (reading a dream request),
``jobs`` (the queue and the live preview), ``history`` (each browser's dreams, kept in SQLite and files),
``server`` (waitress), and the page in ``static/`` (no library, nothing loaded from outside)."""

from deepdream.web.app import create_app
from deepdream.web.jobs import DreamRequest, DreamService, Job
from deepdream.web.settings import Refusal, Settings

__all__ = ["create_app", "DreamRequest", "DreamService", "Job", "Refusal", "Settings"]
