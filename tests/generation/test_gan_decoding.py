"""The GAN's voice-leading decoder: exact on small cases, and what each penalty does."""

import itertools
from dataclasses import replace

import numpy as np
import pytest

from generation.gan.decoding import (
    Window,
    decode_window,
    last_direction,
    run_length,
)
from generation.gan.styles import Decoding
from generation.gan.viterbi import (
    DOWN,
    UP,
    _search,
    parallel_steps,
    transition_costs,
    viterbi,
)


def brute_force(emissions, onset_yes, onset_no, decoding, start, direction=0):
    """Every (state, new run?) path, scored as the decoder's docstring says; a move
    against the line's last direction (``direction`` before the first step; a repeat
    keeps it, a rest forgets it) costs ``decoding.turn_cost``."""
    steps, states = emissions.shape
    shortest = [max(1, decoding.min_rest_steps)] + [max(1, decoding.min_note_steps)] * states
    best, best_path = -np.inf, None
    for path in itertools.product(range(states), repeat=steps):
        for news in itertools.product((False, True), repeat=steps):
            total, state, length, heading = 0.0, None, 0, direction
            if start is not None:
                state, length = start
            valid = True
            for t, (s, new) in enumerate(zip(path, news, strict=True)):
                if state is None:
                    valid = new
                    total += emissions[t, s] + (onset_yes[t] if s else 0.0)
                elif new or s != state:
                    if not new or length < shortest[state] or (s == 0 and state == 0):
                        valid = False
                        break
                    total += emissions[t, s] - decoding.change_cost + (onset_yes[t] if s else 0)
                    total -= decoding.turn_cost * _turns(state, s, heading)
                    heading = _heading(state, s, heading)
                    length = 0
                else:
                    total += emissions[t, s] + (onset_no[t] if s else 0.0)
                state, length = s, length + 1
                if not valid:
                    break
            if valid and total > best + 1e-9:
                best, best_path = total, (path, news)
    return best, best_path


def _heading(before, after, heading):
    """The direction a line has after a new run from state ``before`` to ``after``."""
    if before == 0 or after == 0:
        return 0
    return heading if before == after else (UP if after > before else DOWN)


def _turns(before, after, heading):
    """1 where a new run from ``before`` to ``after`` turns the line back."""
    now = _heading(before, after, heading)
    return int(bool(heading and now and now != heading))


def path_score(line, starts, emissions, onset_yes, onset_no, decoding, start):
    total = 0.0
    previous = None if start is None else start[0]
    for t, (column, new) in enumerate(zip(line, starts, strict=True)):
        s = int(column) + 1
        total += emissions[t, s]
        if previous is None:
            total += onset_yes[t] if s else 0.0
        elif new or s != previous:
            total += -decoding.change_cost + (onset_yes[t] if s else 0.0)
        else:
            total += onset_no[t] if s else 0.0
        previous = s
    return total


@pytest.mark.parametrize(("note", "rest"), [(1, 1), (2, 2), (3, 1), (2, 3)])
@pytest.mark.parametrize("start", [None, (1, 1), (0, 2)])
def test_viterbi_finds_the_best_line_with_long_enough_runs(note, rest, start):
    rng = np.random.default_rng(note * 10 + rest)
    decoding = Decoding(min_note_steps=note, min_rest_steps=rest, change_cost=0.3, onset_weight=1.0)
    for _ in range(3):
        emissions = np.log(rng.dirichlet(np.ones(3), size=5))
        onset = rng.uniform(0.05, 0.95, size=5)
        yes, no = np.log(onset), np.log(1 - onset)
        line, starts, _ = viterbi(emissions, yes, no, decoding, [], 0, start)
        best, _ = brute_force(emissions, yes, no, decoding, start)
        got = path_score(line, starts, emissions, yes, no, decoding, start)
        assert got == pytest.approx(best)


@pytest.mark.parametrize(("note", "rest"), [(1, 1), (2, 3)])
@pytest.mark.parametrize("start", [None, (3, 1), (5, 2)])
def test_the_search_over_reachable_states_finds_the_line_of_the_search_over_all(note, rest, start):
    # States a window's emissions rule out (-inf at every step: outside a voice's range)
    # are left out of the search; the line, its onsets and its score must not change.
    rng = np.random.default_rng(note * 7 + rest)
    decoding = Decoding(
        min_note_steps=note, min_rest_steps=rest, leap_cost=1.0, forbid_parallels=True
    )
    states, steps, first = 30, 12, 0 if start is None else 2
    others = [rng.integers(-1, states - 1, size=steps) for _ in range(2)]
    finite = 0
    for trial in range(6):
        emissions = np.log(rng.dirichlet(np.ones(states), size=steps))
        ruled_out = rng.choice(np.arange(6, states), size=states // 2, replace=False)
        emissions[:, ruled_out] = -np.inf
        if trial % 2:
            emissions[rng.integers(steps), rng.integers(1, states)] = -np.inf  # a final chord
        onset = rng.uniform(0.05, 0.95, size=steps)
        yes, no = np.log(onset), np.log(1 - onset)
        every = np.arange(states)
        rules = (decoding, transition_costs(decoding, states))
        full = _search(emissions, (yes, no), rules, others, first, start, every)
        pruned = viterbi(emissions, yes, no, decoding, others, first, start)
        assert pruned[0].tolist() == full[0].tolist()
        assert pruned[1].tolist() == full[1].tolist()
        assert pruned[2] == full[2]
        finite += bool(np.isfinite(full[2]))
    assert finite >= 3  # most trials have a line that keeps every constraint


def parallel_moves(others, t, pitches):
    """(1 + P, 1 + P) or None: the parallels rule at one step, written out plainly (the
    reference the decoder's all-steps version is checked against)."""
    found = np.zeros((pitches + 1, pitches + 1), dtype=bool)
    moved = False
    for other in others:
        a, b = int(other[t - 1]), int(other[t])
        if a < 0 or b < 0 or a == b:
            continue
        moved = True
        for p in range(pitches):
            for q in range(pitches):
                before, after = abs(p - a) % 12, abs(q - b) % 12
                if p != q and before == after and after in (0, 7):
                    found[1 + p, 1 + q] = True
    return found if moved else None


def moves_at(others, t, pitches):
    """:func:`parallel_steps` over every column at step ``t``."""
    return parallel_steps(others, np.arange(pitches), 1, len(others[0]))[t]


def test_the_parallels_of_every_step_at_once_are_those_of_each_step():
    rng = np.random.default_rng(3)
    pitches, steps = 40, 16
    others = [rng.integers(-1, pitches, size=steps) for _ in range(3)]
    others[0][5:9] = 12  # a held note makes no parallel
    columns = np.sort(rng.choice(pitches, size=15, replace=False))
    states = np.concatenate([[0], columns + 1])
    found = parallel_steps(others, columns, 1, steps)
    assert not found[0].any()
    for t in range(1, steps):
        each = parallel_moves(others, t, pitches)
        expected = np.zeros_like(found[t]) if each is None else each[np.ix_(states, states)]
        assert (found[t] == expected).all(), t
    assert found.any()


def test_a_run_length_counts_back_to_the_last_onset():
    columns = np.array([-1, 4, 4, 4, 4, 7])
    onsets = np.array([False, True, False, True, False, True])
    assert run_length(columns, onsets, 5) == 2
    assert run_length(columns, onsets, 6) == 1
    assert run_length(columns, onsets, 1) == 1


def test_a_parallel_fifth_or_octave_with_a_moving_voice_is_marked():
    other = np.array([0, 2])  # the other voice steps up a tone
    moves = moves_at([other], 1, 24)
    assert moves[1 + 7, 1 + 9]  # a fifth above it, then a fifth above again
    assert moves[1 + 12, 1 + 2]  # an octave, then a unison (contrary motion, still 8ves)
    assert not moves[1 + 7, 1 + 7]  # holding the note is no move
    assert not moves[1 + 7, 1 + 8]  # a fifth then a sixth
    assert not moves[0, 1 + 9]  # from a rest
    assert not moves_at([np.array([3, 3])], 1, 24).any()  # the other voice holds


def window(log_probs, melody, first=0):
    voices = np.full(log_probs.shape[:2], -1)
    onsets = np.zeros_like(voices, bool)
    beats = np.ones(len(melody), bool)
    return Window(log_probs, np.zeros(log_probs.shape[:2]), melody, voices, onsets, first, beats)


def test_the_parallel_cost_moves_a_voice_off_parallel_octaves_with_the_melody():
    # The melody goes C D E; the alto prefers to double it an octave down, a little
    # more than to go C B C (column 12 is the melody's C an octave down): the cost
    # takes the B, after which E is an octave reached by contrary motion.
    melody = np.array([24, 26, 28])
    log_probs = np.full((1, 3, 30), np.log(1e-4))
    for t, (doubled, other) in enumerate([(12, 12), (14, 11), (16, 12)]):
        log_probs[0, t, 1 + doubled] = np.log(0.5)
        log_probs[0, t, 1 + other] = np.log(0.4) if doubled != other else np.log(0.5)
    free = decode_window(window(log_probs, melody), Decoding())[0][0]
    assert free.tolist() == [12, 14, 16]
    strict = decode_window(window(log_probs, melody), Decoding(parallel_cost=3.0))[0][0]
    assert strict.tolist() == [12, 11, 16]  # contrary motion, then an octave again


def test_the_minimum_length_joins_short_notes():
    probabilities = np.full((1, 6, 5), 0.01)
    for t, column in enumerate([1, 1, 2, 1, 3, 3]):
        probabilities[0, t, 1 + column] = 0.9
    probabilities[0, 2, 1 + 1] = 0.3  # the short note's step could be the note around it
    melody = np.full(6, 20)
    short = decode_window(window(np.log(probabilities), melody), Decoding())[0][0]
    assert short.tolist() == [1, 1, 2, 1, 3, 3]
    decoding = Decoding(min_note_steps=2)
    long = decode_window(window(np.log(probabilities), melody), decoding)[0][0]
    assert long.tolist() == [1, 1, 1, 1, 3, 3]


def test_a_voice_silent_under_a_sounding_melody_sounds_where_rest_is_unlikely():
    probabilities = np.full((1, 4, 5), 0.15)
    probabilities[0, :, 0] = 0.4  # rest is the likeliest state, but less likely than not
    probabilities[0, :, 3] = 0.15
    melody = np.array([20, 20, 20, 20])
    line = decode_window(window(np.log(probabilities), melody), Decoding())[0][0]
    assert (line >= 0).all()
    argmax = decode_window(window(np.log(probabilities), melody), Decoding(viterbi=False))[0][0]
    assert (argmax >= 0).all()


def test_the_rest_cost_keeps_a_voice_sounding_where_rest_is_only_a_little_likelier():
    probabilities = np.full((1, 4, 5), 0.1)
    probabilities[0, :, 0] = 0.35
    probabilities[0, :, 2] = 0.25
    melody = np.full(4, -1)  # a silent melody: the never-silent rule stays out of it
    free = decode_window(window(np.log(probabilities), melody), Decoding())[0][0]
    assert free.tolist() == [-1, -1, -1, -1]
    costly = decode_window(window(np.log(probabilities), melody), Decoding(rest_cost=1.0))[0][0]
    assert costly.tolist() == [1, 1, 1, 1]


def test_the_leap_cost_prefers_the_step_to_the_leap():
    probabilities = np.full((1, 2, 21), 0.01)
    probabilities[0, 0, 1 + 10] = 0.8
    probabilities[0, 1, 1 + 19] = 0.4  # a ninth up
    probabilities[0, 1, 1 + 11] = 0.3  # a semitone up
    melody = np.full(2, -1)
    free = decode_window(window(np.log(probabilities), melody), Decoding())[0][0]
    assert free.tolist() == [10, 19]
    smooth = decode_window(window(np.log(probabilities), melody), Decoding(leap_cost=1.0))[0][0]
    assert smooth.tolist() == [10, 11]


def test_a_fifth_or_octave_below_the_other_voice_is_marked_too():
    other = np.array([12, 14])  # the upper voice steps up a tone
    moves = moves_at([other], 1, 24)
    assert moves[1 + 5, 1 + 7]  # a fifth below it, then a fifth below again
    assert moves[1 + 0, 1 + 2]  # an octave below, twice
    assert not moves[1 + 7, 1 + 9]  # a fourth below is no fifth


def test_forbidden_parallels_are_never_taken_however_likely():
    # The alto is all but sure of doubling the melody an octave down: a cost gives in,
    # the rule does not.
    melody = np.array([24, 26, 28])
    log_probs = np.full((1, 3, 30), np.log(1e-6))
    for t, doubled in enumerate([12, 14, 16]):
        log_probs[0, t, 1 + doubled] = np.log(0.99)
    costed = decode_window(window(log_probs, melody), Decoding(parallel_cost=3.0))[0][0]
    assert costed.tolist() == [12, 14, 16]
    ruled = decode_window(window(log_probs, melody), Decoding(forbid_parallels=True))[0][0]
    assert ruled.tolist() != [12, 14, 16]
    for t in (1, 2):
        assert not moves_at([melody], t, 29)[1 + ruled[t - 1], 1 + ruled[t]]


def test_a_pitch_outside_the_range_goes_to_its_pitch_class_inside():
    log_probs = np.full((1, 2, 30), np.log(1e-4))
    log_probs[0, :, 1 + 3] = np.log(0.9)  # far below the range 10..25
    ranged = window(log_probs, np.full(2, -1))
    ranged.ranges = np.array([[10, 25]])
    line = decode_window(ranged, Decoding())[0][0]
    assert line.tolist() == [15, 15]  # an octave up, the only 3 + 12k inside


def test_the_final_chord_is_kept_where_a_line_can_reach_it():
    log_probs = np.full((1, 4, 25), np.log(1e-3))
    log_probs[0, :, 1 + 7] = np.log(0.9)  # the bass would stay on G
    melody = np.array([19, 17, 16, 12])
    ending = window(log_probs, melody)
    ending.final = np.ones((1, 4, 25), bool)
    ending.final[0, 3] = False
    ending.final[0, 3, [1 + 0, 1 + 12]] = True  # only a C at the end
    line = decode_window(ending, Decoding(forbid_parallels=True))[0][0]
    assert line[-1] % 12 == 0
    assert line[:3].tolist() == [7, 7, 7]


def test_a_final_chord_no_line_can_reach_still_gives_a_line():
    log_probs = np.full((1, 3, 25), np.log(0.04))
    start = window(log_probs, np.full(3, -1), first=1)
    start.voices[0, 0] = 7
    start.onsets[0, 0] = True
    start.final = np.ones((1, 3, 25), bool)
    start.final[0, 1:] = False  # nothing at all is allowed after the context
    decoding = Decoding(min_note_steps=3)  # and the G must go on for two steps more
    line = decode_window(start, decoding)[0][0]
    assert line.tolist() == [7, 7]


def test_an_inner_voice_held_too_long_is_moved_off_its_pitch():
    log_probs = np.full((2, 12, 20), np.log(0.01))
    log_probs[:, :, 1 + 5] = np.log(0.6)  # both voices would hold one pitch throughout
    log_probs[:, :, 1 + 7] = np.log(0.3)
    melody = np.full(12, -1)
    held = decode_window(window(log_probs, melody), Decoding())[0]
    assert held.tolist() == [[5] * 12, [5] * 12]
    limited = window(log_probs, melody)
    limited.hold_steps = 8
    moved = decode_window(limited, Decoding(hold_cost=1.0))[0]
    assert max(len(run) for run in np.split(moved[0], np.flatnonzero(np.diff(moved[0])) + 1)) <= 8
    assert moved[1].tolist() == [5] * 12  # the bass may hold


def test_decoding_one_voice_again_leaves_the_others_as_they_stand():
    # Voice 1 would double voice 0's F (column 20) and is decoded again given it: the
    # unison cost sends it to the D (column 17) instead; voices 0 and 2 stay as they are.
    probabilities = np.full((3, 8, 30), 1e-3)
    probabilities[:, :, 1 + 20] = 0.6
    probabilities[1, :, 1 + 17] = 0.3
    melody = np.full(8, 24)
    given = window(np.log(probabilities), melody)
    given.voices[:] = [[20] * 8, [20] * 8, [9] * 8]
    given.onsets[:, 0] = True
    voices, _ = decode_window(given, Decoding(unison_cost=5.0), only=1)
    assert voices.tolist() == [[20] * 8, [17] * 8, [9] * 8]
    assert decode_window(given, Decoding(), only=1)[0][1].tolist() == [20] * 8


def test_the_bass_has_its_own_leap_and_repeat_costs():
    # The lowest voice would strike C twice, then leap an octave to C; the inner voice the
    # same. A repeat cost on the bass alone takes its repeat and leaves the inner voice's.
    probabilities = np.full((2, 4, 30), 1e-4)
    for v, low in enumerate((12, 0)):
        for t, column in enumerate([low, low, low + 12, low + 12]):
            probabilities[v, t, 1 + column] = 0.5
        probabilities[v, 1, 1 + low + 2] = 0.3  # a step up instead of the repeat
    log_probs = np.log(probabilities)
    melody = np.full(4, 28)
    base = window(log_probs, melody)
    base.onset_logits[:] = 5.0  # every step strikes a note
    plain = Decoding(refine_rounds=0, onset_weight=1.0)
    assert decode_window(base, plain)[0].tolist() == [[12, 12, 24, 24], [0, 0, 12, 12]]
    bass = replace(plain, bass_repeat_cost=1.0)
    assert decode_window(base, bass)[0].tolist() == [[12, 12, 24, 24], [0, 2, 12, 12]]
    # A leap cost on every voice but the bass keeps the inner voice below, not the bass.
    smooth = replace(plain, leap_cost=12.0, bass_leap_cost=0.0)
    inner, low = decode_window(base, smooth)[0].tolist()
    assert low == [0, 0, 12, 12]
    assert inner[2:] != [24, 24]


def test_the_step_bonus_takes_a_step_where_the_line_would_repeat_or_leap():
    # The voice would strike C again (0.5) rather than step to D (0.3) or leap to E (0.35);
    # a bonus on moves by step makes the D the likelier line.
    probabilities = np.full((1, 3, 30), 1e-4)
    probabilities[0, :, 1 + 12] = 0.5
    probabilities[0, 1, 1 + 12] = 0.32
    probabilities[0, 1, 1 + 14] = 0.3
    probabilities[0, 1, 1 + 16] = 0.35
    given = window(np.log(probabilities), np.full(3, 28))
    given.onset_logits[:] = 5.0  # every step strikes a note
    plain = Decoding(refine_rounds=0, onset_weight=1.0)
    assert decode_window(given, plain)[0][0].tolist() == [12, 16, 12]
    stepping = replace(plain, step_bonus=0.5)
    assert decode_window(given, stepping)[0][0].tolist() == [12, 14, 12]


@pytest.mark.parametrize(("start", "direction"), [(None, 0), ((2, 1), UP), ((3, 2), DOWN)])
def test_the_contour_search_finds_the_best_line_with_its_turns_costed(start, direction):
    rng = np.random.default_rng(11 + direction)
    decoding = Decoding(change_cost=0.2, onset_weight=1.0, turn_cost=0.7)
    for _ in range(3):
        emissions = np.log(rng.dirichlet(np.ones(4), size=5))
        onset = rng.uniform(0.05, 0.95, size=5)
        yes, no = np.log(onset), np.log(1 - onset)
        _, _, score = viterbi(emissions, yes, no, decoding, [], 0, start, direction)
        best, _ = brute_force(emissions, yes, no, decoding, start, direction)
        assert score == pytest.approx(best, abs=1e-4)  # repeats carry a 1e-6 tie-break


def test_the_turn_cost_straightens_a_zigzag_line():
    # C D C D E: the likeliest pitches zigzag; C D E F G is nearly as likely step by step.
    probabilities = np.full((5, 12), 1e-3)
    zigzag, straight = [0, 2, 0, 2, 4], [0, 2, 4, 5, 7]
    for t, (a, b) in enumerate(zip(zigzag, straight, strict=True)):
        probabilities[t, 1 + b] += 0.3
        probabilities[t, 1 + a] += 0.4
    emissions = np.log(probabilities)
    yes, no = np.zeros(5), np.full(5, -5.0)  # every step strikes a note
    plain = Decoding(onset_weight=1.0)
    line, _, _ = viterbi(emissions, yes, no, plain, [], 0, None)
    assert line.tolist() == zigzag
    line, _, _ = viterbi(emissions, yes, no, replace(plain, turn_cost=1.0), [], 0, None)
    assert line.tolist() == straight


def test_the_direction_a_line_comes_in_with_counts_at_the_window_start():
    # The line sounds C before the window; D (0.5) is likelier than C struck again (0.4).
    # Coming up to C, D goes on up; coming down to C, D turns back and costs the turn.
    probabilities = np.full((1, 12), 1e-3)
    probabilities[0, 1 + 2], probabilities[0, 1 + 0] = 0.5, 0.4
    emissions, yes, no = np.log(probabilities), np.zeros(1), np.full(1, -5.0)
    turning = Decoding(onset_weight=1.0, turn_cost=1.0)
    line, _, _ = viterbi(emissions, yes, no, turning, [], 0, (1, 1), UP)
    assert line.tolist() == [2]
    line, _, _ = viterbi(emissions, yes, no, turning, [], 0, (1, 1), DOWN)
    assert line.tolist() == [0]


def test_the_last_direction_skips_repeats_and_forgets_at_a_rest():
    assert last_direction(np.array([60, 62, 62]), 3) == UP
    assert last_direction(np.array([64, 62, 62, 62]), 4) == DOWN
    assert last_direction(np.array([64, -1, 62]), 3) == 0
    assert last_direction(np.array([64, 62, -1]), 3) == 0
    assert last_direction(np.array([62, 62]), 2) == 0
    assert last_direction(np.array([60, 64, 62]), 2) == UP


def test_a_turn_cost_with_a_minimum_note_length_is_refused():
    with pytest.raises(ValueError, match="turn_cost"):
        Decoding(turn_cost=0.5, min_note_steps=2)


def test_a_voice_holds_its_note_where_the_steps_are_still():
    # The voice would move C -> D after the first step (0.6 against 0.35 for C held);
    # with the steps after the first still (a held cadence), it keeps its C, and it
    # neither strikes it again nor rests there.
    probabilities = np.full((1, 4, 30), 1e-4)
    probabilities[0, 0, 1 + 12] = 0.6
    probabilities[0, 1:, 1 + 14] = 0.6
    probabilities[0, 1:, 1 + 12] = 0.35
    given = window(np.log(probabilities), np.full(4, 28))
    assert decode_window(given, Decoding())[0][0].tolist() == [12, 14, 14, 14]
    still = replace(given, still=np.array([False, True, True, True]))
    assert decode_window(still, Decoding())[0][0].tolist() == [12, 14, 14, 14]  # no cost
    held, starts = decode_window(still, Decoding(hold_cadence_cost=5.0))
    assert held[0].tolist() == [12, 12, 12, 12]
    assert starts[0].tolist() == [True, False, False, False]
    probabilities[0, 1:, 0] = 0.9  # rest is likelier than either note: it still holds
    given = replace(still, log_probs=np.log(probabilities))
    assert decode_window(given, Decoding())[0][0].tolist() == [12, -1, -1, -1]
    assert decode_window(given, Decoding(hold_cadence_cost=5.0))[0][0].tolist() == [12] * 4
