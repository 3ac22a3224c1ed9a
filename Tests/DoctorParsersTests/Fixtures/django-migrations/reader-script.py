import os
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder
r = MigrationRecorder(connection)
print("gwdoctor-vendor\t" + connection.vendor)
f = str(connection.settings_dict.get("NAME") or "")
t = False if connection.vendor == "sqlite" and f and f != ":memory:" and not f.startswith("file:") and not os.path.exists(f) else r.has_table()
print("gwdoctor-table\t" + ("yes" if t else "no"))
for a, n in sorted(r.applied_migrations() if t else []):
    print("gwdoctor-applied\t" + a + "\t" + n)
print("gwdoctor-end")
