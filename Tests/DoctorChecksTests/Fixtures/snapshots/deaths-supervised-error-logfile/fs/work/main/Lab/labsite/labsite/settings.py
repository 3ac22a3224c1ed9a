"""Settings of the gwdoctor lab site.

Deliberately like a real deployment: the secret comes from the environment (a
missing DJANGO_SECRET_KEY crashes the boot with KeyError, which is one of the
lab's startup faults), DEBUG is off, and the clock is UTC so the app's log times
line up with the proxy's.
"""
import os
import tempfile
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent

SECRET_KEY = os.environ["DJANGO_SECRET_KEY"]
DEBUG = False
ALLOWED_HOSTS = ["*"]

INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "probe",
]

MIDDLEWARE = [
    "django.middleware.common.CommonMiddleware",
]

ROOT_URLCONF = "labsite.urls"
WSGI_APPLICATION = "labsite.wsgi.application"
ASGI_APPLICATION = "labsite.asgi.application"

_data_dir = os.environ.get("LAB_DATA_DIR") or tempfile.gettempdir()
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("LAB_DB_PATH") or os.path.join(_data_dir, "labsite.sqlite3"),
    }
}

# Faults the startup scenarios switch on (all off unless their variable is set):
# LAB_EXTRA_APP names one more INSTALLED_APPS entry (a package the venv lacks is the
# "uninstalled app" boot crash); LAB_DATABASE_URL (postgres://user:[REDACTED]@host:port/name)
# selects Postgres instead of sqlite, e.g. a DSN to a port where nothing listens.
if os.environ.get("LAB_EXTRA_APP"):
    INSTALLED_APPS = INSTALLED_APPS + [os.environ["LAB_EXTRA_APP"]]

if os.environ.get("LAB_DATABASE_URL"):
    from urllib.parse import unquote, urlsplit

    _url = urlsplit(os.environ["LAB_DATABASE_URL"])
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": _url.path.lstrip("/") or "labsite",
            "USER": unquote(_url.username or ""),
            "PASSWORD": [REDACTED] or ""),
            "HOST": _url.hostname or "",
            "PORT": str(_url.port or ""),
            "OPTIONS": {"connect_timeout": 5},
        }
    }

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"stderr": {"class": "logging.StreamHandler"}},
    "loggers": {"django": {"handlers": ["stderr"], "level": "WARNING"}},
}
