"""WSGI entry point: `gunicorn labsite.wsgi:application` (or uWSGI `--module`)."""
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "labsite.settings")

application = get_wsgi_application()
