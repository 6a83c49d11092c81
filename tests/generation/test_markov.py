"""The order-3 Markov baseline: Witten-Bell probabilities, and the same numbers two ways."""

import numpy as np
import pytest

from generation.transformer.markov import MarkovChain

VOCAB_SIZE = 6


def test_probabilities_sum_to_one_in_every_context():
    chain = MarkovChain.fit([[1, 2, 3, 1, 2, 3, 4], [5, 1, 2, 2]], order=3, vocab=VOCAB_SIZE)
    for history in ([], [1], [1, 2], [5, 1, 2], [4, 4, 4]):
        assert np.exp(chain.next_log_probs(history)).sum() == pytest.approx(1.0)


def test_witten_bell_mixes_a_seen_context_with_the_lower_orders():
    chain = MarkovChain.fit([[1, 2, 1, 3]], order=1, vocab=4)
    unigram = (np.array([0, 2, 1, 1]) + 1) / (4 + 4)
    # after 1: seen twice, followed by two distinct tokens (2 and 3)
    expected = (np.array([0, 0, 1, 1]) + 2 * unigram) / (2 + 2)
    assert np.exp(chain.next_log_probs([1])) == pytest.approx(expected)
    assert np.exp(chain.next_log_probs([3])) == pytest.approx(unigram)  # unseen context


def test_sequence_log_probs_agree_with_next_token_log_probs():
    sequences = [[3, 4, 2, 1, 5, 2, 1, 5, 2, 4], [3, 4, 2, 5, 5, 1]]
    chain = MarkovChain.fit(sequences, vocab=VOCAB_SIZE)
    probe = [3, 4, 2, 1, 5, 2, 5, 1]
    scored = chain.log_probs(probe, first=2)
    one_by_one = [chain.next_log_probs(probe[:j])[probe[j]] for j in range(2, len(probe))]
    assert scored == pytest.approx(one_by_one)


def test_a_repeated_pattern_becomes_nearly_certain():
    chain = MarkovChain.fit([[1, 2, 3, 4] * 50], vocab=VOCAB_SIZE)
    assert np.exp(chain.next_log_probs([1, 2, 3]))[4] > 0.95
