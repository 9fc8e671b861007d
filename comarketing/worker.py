"""The Celery application object for Celery's own command line:
``celery -A comarketing.worker worker`` and ``celery -A comarketing.worker beat`` (the same as
``flask worker`` and ``flask scheduler``). Configuration comes from the environment, as for
the web server.
"""

from __future__ import annotations

import os

from comarketing import create_app

os.environ.setdefault("JOBS_BACKEND", "celery")
flask_app = create_app()
# Celery looks for ``app`` (then ``celery``) in the module named by -A.
app = celery = flask_app.extensions["celery"]
