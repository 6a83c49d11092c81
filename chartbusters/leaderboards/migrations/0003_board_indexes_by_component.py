from django.db import migrations, models


class AddIndexOnPostgres(migrations.AddIndex):
    """AddIndex, created on PostgreSQL only: SQLite cannot index ``DESC NULLS LAST`` (and
    puts NULLs last in a descending order anyway, so its plain indexes serve)."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):  # type: ignore[no-untyped-def]
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):  # type: ignore[no-untyped-def]
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


def by_component(name: str) -> models.Index:
    return models.Index(
        models.F("challenge"),
        models.OrderBy(models.F(name), descending=True, nulls_last=True),
        models.F("rank"),
        name=f"board_by_{name}",
    )


class Migration(migrations.Migration):
    """Pages sorted by a component are read off an index in the sort's own order."""

    dependencies = [
        ("leaderboards", "0002_like"),
    ]

    operations = [
        *(
            migrations.RemoveIndex(model_name="leaderboardentry", name=old)
            for old in (
                "leaderboard_challen_72144e_idx",  # (challenge, realism)
                "leaderboard_challen_3a3453_idx",  # (challenge, typicality)
                "leaderboard_challen_35887d_idx",  # (challenge, frechet)
            )
        ),
        AddIndexOnPostgres(model_name="leaderboardentry", index=by_component("realism")),
        AddIndexOnPostgres(model_name="leaderboardentry", index=by_component("typicality")),
        AddIndexOnPostgres(model_name="leaderboardentry", index=by_component("frechet")),
    ]
