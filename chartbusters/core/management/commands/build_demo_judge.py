"""Build the demo's host-built judge (Christmas chorales) here, in process."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from chartbusters.accounts.models import User
from chartbusters.references.builds import judge_build_claim, judge_build_run, judge_build_start
from chartbusters.references.demo import demo_judge, demo_reference_set


class Command(BaseCommand):
    help = (
        "Pick Bach's Christmas chorales from the bundled corpus into a reference set and "
        "build its judge here, with the training task's own code (about 5 minutes on two "
        "cores). Run load_demo afterwards for the challenge it judges."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--quick", action="store_true", help="tiny networks (a check)")

    def handle(self, *args: Any, **options: Any) -> None:
        if (built := demo_judge()) is not None:
            self.stdout.write(f"{built.profile_name} is already built.")
            return
        host = User.objects.filter(username="host").first()
        if host is None:
            raise CommandError("Run load_demo first: the demo host owns the set.")
        reference_set = demo_reference_set(owner=host)
        self.stdout.write(f"{reference_set.name}: {reference_set.pieces.count()} pieces")
        build = judge_build_start(reference_set=reference_set, by=host, enqueue=False)
        claimed = judge_build_claim(build_id=build.pk)  # not queued: this process runs it
        assert claimed is not None
        started = time.monotonic()
        done = judge_build_run(build=claimed, quick=options["quick"])
        seconds = time.monotonic() - started
        self.stdout.write(done.log)
        if done.error:
            raise CommandError(done.error)
        gate = "passes" if done.passes_validity else "is below"
        self.stdout.write(
            f"{done.profile_name} built in {seconds:.0f} s; it {gate} the validity targets."
        )
