"""The red-team suite: ``python -m evaluation redteam PROFILE`` writes
``evaluation/profiles/PROFILE/REDTEAM.md`` (attacks in :mod:`.attacks`, the run and the
report in :mod:`.run`). A build-side tool: scoring never imports it."""
