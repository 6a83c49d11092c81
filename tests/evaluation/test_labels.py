"""The judge's words: every statistic a report can name has a label and help, and a
copied source reads as words (issue 20, item 10)."""

from __future__ import annotations

from evaluation import labels
from evaluation.descriptors import DESCRIPTOR_NAMES
from evaluation.report import COMPONENTS


def test_every_descriptor_has_a_label_and_help_of_its_own():
    fallback = labels.Label("", "A statistic of the piece.")
    for name in DESCRIPTOR_NAMES:
        label = labels.statistic(name)
        assert label.help != fallback.help, name
        assert "_" not in label.label, name


def test_histogram_bins_are_named():
    assert labels.statistic("pc_hist_0").label == "Use of note name C"
    assert labels.statistic("ioi_hist_3").label == "Gaps between notes, band 4"


def test_every_component_has_a_label():
    assert set(COMPONENTS) <= set(labels.COMPONENTS)


def test_sources_read_as_words():
    assert labels.source_text("sample:minuet-in-g") == "the sample melody “Minuet in G major”"
    assert labels.source_text("bach-chorales:bwv1.6") == "“bwv1.6” from the bach chorales"
    assert labels.source_text("entry:41") == "entry:41"  # the service resolves and hides it
