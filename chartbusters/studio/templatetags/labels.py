"""Template filters over the one table of labels (``chartbusters.studio.labels``):
``{{ name|component_label }}``, ``{{ name|statistic_help }}``,
``{{ name|parameter_label:technique }}``, ..."""

from __future__ import annotations

from django import template

from chartbusters.studio import labels

register = template.Library()


@register.filter
def component_label(name: str) -> str:
    return str(labels.component(name)["label"])


@register.filter
def component_help(name: str) -> str:
    return str(labels.component(name)["help"])


@register.filter
def statistic_label(name: str) -> str:
    return str(labels.statistic(name)["label"])


@register.filter
def statistic_help(name: str) -> str:
    return str(labels.statistic(name)["help"])


@register.filter
def profile_label(name: str) -> str:
    return str(labels.profile(name)["label"])


@register.filter
def technique_label(name: str) -> str:
    return str(labels.technique(name)["label"])


@register.filter
def sample_label(slug: str) -> str:
    return str(labels.sample(slug)["label"])


@register.filter
def parameter_label(name: str, technique: str = "") -> str:
    return str(labels.parameter(technique, name)["label"])


@register.filter
def parameter_help(name: str, technique: str = "") -> str:
    return str(labels.parameter(technique, name)["help"])
