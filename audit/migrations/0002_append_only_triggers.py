"""The database itself refuses changes to audit events, whatever the code path (raw SQL, a bulk update).

PostgreSQL: UPDATE and DELETE raise. TRUNCATE is not a row operation and stays possible for the table owner
(Django's test flush uses it); so does disabling the trigger: this guards against the application, not its DBA,
which is what the hash chain and `verify_audit` are for. SQLite: UPDATE raises; DELETE stays possible because
SQLite has no TRUNCATE and Django's flush deletes rows.
"""

from django.db import migrations

CREATE = {
    "postgresql": [
        """CREATE OR REPLACE FUNCTION audit_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'audit events are append-only (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
        END $$""",
        """CREATE TRIGGER audit_auditevent_append_only BEFORE UPDATE OR DELETE ON audit_auditevent
        FOR EACH ROW EXECUTE FUNCTION audit_refuse_change()""",
    ],
    "sqlite": [
        """CREATE TRIGGER audit_auditevent_append_only BEFORE UPDATE ON audit_auditevent
        BEGIN SELECT RAISE(ABORT, 'audit events are append-only (UPDATE refused)'); END""",
    ],
}
DROP = {
    "postgresql": ["DROP TRIGGER IF EXISTS audit_auditevent_append_only ON audit_auditevent",
                   "DROP FUNCTION IF EXISTS audit_refuse_change()"],
    "sqlite": ["DROP TRIGGER IF EXISTS audit_auditevent_append_only"],
}


def _run(statements):
    def apply(apps, schema_editor):
        for sql in statements.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql, params=None)  # None: no %-placeholders (the PL/pgSQL body has a %)

    return apply


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]
    operations = [migrations.RunPython(_run(CREATE), _run(DROP))]
