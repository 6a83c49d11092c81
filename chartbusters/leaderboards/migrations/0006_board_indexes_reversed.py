from django.db import migrations, models


class AddIndexOnPostgres(migrations.AddIndex):
    """AddIndex, created on PostgreSQL only: SQLite cannot index ``NULLS LAST``."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):  # type: ignore[no-untyped-def]
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):  # type: ignore[no-untyped-def]
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


def lowest_first(name: str) -> models.Index:
    return models.Index(
        models.F("challenge"),
        models.OrderBy(models.F(name), nulls_last=True),
        models.F("rank"),
        name=f"board_up_{name}",
    )


class Migration(migrations.Migration):
    """Pages sorted by a component, lowest first, are read off an index too: without one a
    middle page of a 100,000-row board sorted the whole board (57 ms p95)."""

    dependencies = [
        ("leaderboards", "0005_rescore_scores_before"),
    ]

    operations = [
        AddIndexOnPostgres(model_name="leaderboardentry", index=lowest_first(name))
        for name in ("realism", "typicality", "frechet")
    ]
