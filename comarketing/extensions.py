"""Unbound extension objects. The application factory binds them; nothing here knows the app."""

from typing import TYPE_CHECKING

from flask import Flask
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect

from comarketing.db import Base
from comarketing.read_replica import ReplicaAwareSession

# The session sends report queries to REPORTS_DATABASE_URL when set (read_replica.py).
db = SQLAlchemy(model_class=Base, session_options={"class_": ReplicaAwareSession})
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
# Storage comes from RATELIMIT_STORAGE_URI (Redis when REDIS_URL is set) at init_app time.
# No default limits: only the routes that need one (sign-in, reset) are limited.


class AppLimiter(Limiter):
    """Flask-Limiter keeps "the storage is unreachable" on the object, across ``init_app``: an
    app built after another app lost its Redis counted in a fallback memory, then — at the next
    backend check — in its own storage from zero, forgetting what it had counted. Each app
    starts with its own storage taken as reachable (production builds one app per process; the
    tests build many)."""

    def init_app(self, app: Flask) -> None:
        self._storage_dead = False
        super().init_app(app)


limiter = AppLimiter(key_func=get_remote_address)

# Models subclass ``Model``: at run time Flask-SQLAlchemy's dynamic ``db.Model``; for the type
# checker the typed declarative base it is built from.
if TYPE_CHECKING:
    Model = Base
else:
    Model = db.Model
