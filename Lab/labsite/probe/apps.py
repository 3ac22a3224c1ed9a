import os

from django.apps import AppConfig
from django.core.exceptions import ImproperlyConfigured


class ProbeConfig(AppConfig):
    name = "probe"

    def ready(self):
        # Off unless LAB_CHECK_MIGRATIONS=1: what many deployments do at boot, refuse to
        # serve a release whose migrations are not applied. It reads the migration table,
        # so the boot touches the database (Django itself does not connect at boot): an
        # unreachable database crashes the boot here with OperationalError.
        if os.environ.get("LAB_CHECK_MIGRATIONS") != "1":
            return
        from django.db import connection
        from django.db.migrations.executor import MigrationExecutor

        executor = MigrationExecutor(connection)
        pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
        if pending:
            raise ImproperlyConfigured(f"{len(pending)} migrations are not applied: run manage.py migrate")
