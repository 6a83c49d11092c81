"""The one table of words people read for the names the service uses: a label and one
sentence of help for every score component, statistic, flag, judge profile and
generation parameter that a page shows or the API returns.

The report page, the challenge page, the studio, the admin and the API
(``/api/labels/``) all read it from here (pages through the ``labels`` template
filters); the judge's own words come from ``evaluation.labels`` and the parameters'
from the generators' specs, so nothing is written twice. It sits in the studio, the top
app, as it reads both libraries' adapters. Machine names stay in the API's data; this
says what they mean.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from chartbusters.evaluator import labels as judge_words
from chartbusters.judging.models import RUBRIC, RUBRIC_LABELS, JudgeScore
from chartbusters.studio import generators
from chartbusters.studio.states import JobState
from chartbusters.submissions.provenance import Verification
from chartbusters.submissions.provenance_display import Words
from chartbusters.submissions.states import SubmissionState
from music import catalogue

Entry = dict[str, Any]

# The help of the states and badges the API returns (their labels are the choices').
VERIFICATION_HELP = {
    Verification.NOT_CLAIMED: "Uploaded without saying how it was made.",
    Verification.STUDIO: "Made in this studio: the studio recorded every step itself.",
    Verification.PENDING: "Its claim of how it was made is being re-run to check it.",
    Verification.VERIFIED: "Its claim was re-run and gave the same notes.",
    Verification.UNVERIFIED: "Its claim was re-run and gave different notes, or none.",
}
ENTRY_STATE_HELP = {
    SubmissionState.RECEIVED: "Stored; about to be queued for the judge.",
    SubmissionState.QUEUED: "Waiting for the judge.",
    SubmissionState.EVALUATING: "Being scored by the judge.",
    SubmissionState.SCORED: "Scored: its report is ready.",
    SubmissionState.REJECTED: "Refused: the file cannot be scored (the reason says why).",
    SubmissionState.FAILED: "Could not be scored because of a fault on our side; it cost no quota.",
}
JOB_STATE_HELP = {
    JobState.QUEUED: "Waiting for a free generator.",
    JobState.RUNNING: "A generator is working on it; progress shows how far it has got.",
    JobState.DONE: "Finished: the result is saved as a composition.",
    JobState.FAILED: "Stopped; the message says why and whether a retry can help.",
}


def _row(label: str, help: str, **extra: Any) -> Entry:
    return {"label": label, "help": help, **extra}


def _rubric_help(name: str) -> str:
    """A judge's criterion explained: its field's help ("1: derivative … 5: surprising")."""
    field = JudgeScore._meta.get_field(name)
    return str(getattr(field, "help_text", ""))


def _parameters() -> dict[str, dict[str, Entry]]:
    table: dict[str, dict[str, Entry]] = {}
    for technique in generators.technique_rows():
        rows = {}
        for param in technique["params"]:
            limits = {k: param[k] for k in ("min", "max", "choices", "unit") if k in param}
            rows[param["name"]] = _row(param["label"], param["help"], **limits)
        table[technique["name"]] = rows
    return table


@cache
def label_table() -> dict[str, Any]:
    """Every group of names, each name with its label and help."""
    statistics = {n: _row(*label) for n, label in judge_words.STATISTICS.items()}
    statistics |= {
        f"{prefix}_<bin>": _row(*label) for prefix, label in judge_words.HISTOGRAMS.items()
    }
    return {
        "components": {n: _row(*label) for n, label in judge_words.COMPONENTS.items()},
        "statistics": statistics,
        "flags": {n: _row(*label) for n, label in judge_words.FLAGS.items()},
        "profiles": {n: _row(*label) for n, label in judge_words.PROFILES.items()},
        "techniques": {
            t["name"]: _row(t["title"], t["description"]) for t in generators.technique_rows()
        },
        "parameters": _parameters(),
        "samples": {s.slug: _row(s.title, s.source) for s in catalogue.list_samples()},
        "verification": {v.value: _row(str(v.label), VERIFICATION_HELP[v]) for v in Verification},
        "entry_states": {s.value: _row(str(s.label), ENTRY_STATE_HELP[s]) for s in SubmissionState},
        "job_states": {s.value: _row(str(s.label), JOB_STATE_HELP[s]) for s in JobState},
        "rubric": {name: _row(RUBRIC_LABELS[name], _rubric_help(name)) for name in RUBRIC},
    }


def _label(group: str, name: str, fallback: str) -> Entry:
    row = label_table()[group].get(name)
    return row if row is not None else _row(fallback, "")


def component(name: str) -> Entry:
    return _label("components", name, name.capitalize())


def flag(code: str) -> Entry:
    return _label("flags", code, code.replace("_", " ").capitalize())


def statistic(name: str) -> Entry:
    return _row(*judge_words.statistic(name))


def profile(name: str) -> Entry:
    return _label("profiles", name, name)


def technique(name: str) -> Entry:
    return _label("techniques", name, name)


def sample(slug: str) -> Entry:
    return _label("samples", slug, slug)


def parameter(technique_name: str, name: str) -> Entry:
    """A generation parameter's label; any technique's when ``technique_name`` is not
    known (a claim may name one the service does not ship)."""
    rows = label_table()["parameters"]
    if name in rows.get(technique_name, {}):
        return dict(rows[technique_name][name])
    for params in rows.values():
        if name in params:
            return dict(params[name])
    return _row(name.replace("_", " ").capitalize(), "")


def source_text(source: str) -> str:
    """A copied source in words (see ``evaluation.labels.source_text``)."""
    return judge_words.source_text(source)


# How an entry's chain (``provenance_display``) names parameters and sample melodies.
CHAIN_WORDS = Words(
    parameter=lambda technique_name, name: str(parameter(technique_name, name)["label"]),
    sample=lambda slug: str(sample(slug)["label"]),
)
