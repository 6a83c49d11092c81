"""The interval prior of the GAN's decoder: its counts are the training split's."""

import json

import numpy as np

from generation.gan.intervals import (
    INTERVALS_FILE,
    WIDEST,
    count_intervals,
    interval_log_odds,
)


def test_the_committed_counts_are_the_training_splits():
    assert json.loads(INTERVALS_FILE.read_text()) == count_intervals("train")


def test_the_log_odds_favour_bachs_moves_and_give_every_interval_a_cost():
    for group in ("inner", "bass"):
        odds = interval_log_odds(group)
        assert odds.shape == (2 * WIDEST + 1,)
        assert odds.max() == 0.0
        assert np.isfinite(odds).all()  # smoothed: a move Bach never makes is possible
    inner, bass = interval_log_odds("inner"), interval_log_odds("bass")
    assert inner[WIDEST - 2] > inner[WIDEST + 4]  # down a step, up a third
    assert bass[WIDEST + 5] > bass[WIDEST + 4]  # the bass rises a fourth, not a third
    assert bass[WIDEST] < inner[WIDEST]  # and seldom strikes a note again
