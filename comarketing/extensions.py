"""Unbound extension objects. The application factory binds them; nothing here knows the app."""

from typing import TYPE_CHECKING

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
limiter = Limiter(key_func=get_remote_address)

# Models subclass ``Model``: at run time Flask-SQLAlchemy's dynamic ``db.Model``; for the type
# checker the typed declarative base it is built from.
if TYPE_CHECKING:
    Model = Base
else:
    Model = db.Model
