"""The voice-leading decoder's search: the best line through one voice's per-step
distributions under the transition costs and the parallels rule
(:mod:`generation.gan.decoding` builds its emissions and calls it once per voice).

Only the states some step of the window can reach are searched: a range keeps about a
third of the pitch columns, and a state whose emission is -inf at every step can never
lie on a line of finite score. The search over those alone finds the same line (ties
go to the lower state either way, since the states keep their order and rest stays
first). The parallels are marked for every step at once before the search.

With ``Decoding.turn_cost`` (the chorale style), the state of a line whose notes may end
at any step also holds the direction of its last move (none, up, down; a repeated note
keeps it, a rest forgets it), and a move that turns back costs ``turn_cost``: the lines'
contour, which a first-order search cannot see (Bach's voices turn after about half of
their moves; without the cost the decoded ones turned after 56-63 %).
"""

from __future__ import annotations

from functools import cache

import numpy as np
import numpy.typing as npt

from generation.gan.styles import Decoding

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
PERFECT = (0, 7)  # unison/octave and fifth, as intervals mod 12
UP, DOWN = 1, 2  # the contour search's directions of a line's last move (0: none)


def parallel_steps(
    others: list[IntArray], columns: IntArray, begin: int, steps: int
) -> npt.NDArray[np.bool_]:
    """(steps, 1 + C, 1 + C) for the states rest and ``columns`` (pitch columns: pitches
    less a constant, so their intervals are the pitches'): True at step t (from
    ``begin``, at least 1, on) where moving from state p at ``t - 1`` to q at ``t``
    keeps the same perfect interval (the distance modulo the octave 0 or 7, above or
    below) with one of ``others`` that moves too; before ``begin``, all False. Holding
    a note, or moving from or to a rest, never makes a parallel."""
    states = len(columns) + 1
    found = np.zeros((steps, states, states), dtype=np.bool_)
    if begin >= steps:
        return found
    pitch_moves = columns[:, None] != columns[None, :]  # a held note does not move
    for other in others:
        a, b = other[begin - 1 : steps - 1], other[begin:steps]
        moving = (a >= 0) & (b >= 0) & (a != b)
        if not moving.any():
            continue
        before = np.abs(columns[None, :] - a[moving, None]) % 12  # (n, C)
        after = np.abs(columns[None, :] - b[moving, None]) % 12
        same = before[:, :, None] == after[:, None, :]
        same &= ((after == PERFECT[0]) | (after == PERFECT[1]))[:, None, :] & pitch_moves
        found[begin + np.flatnonzero(moving), 1:, 1:] |= same
    return found


@cache
def transition_costs(decoding: Decoding, states: int) -> FloatArray:
    """(S, S) read-only: what a move from state p to q costs before the parallels (the
    change, leap and repeat costs, the step bonus), the same for every step and window."""
    rows = np.arange(states)
    distance = np.abs(rows[:, None] - rows[None, :])
    base = np.full((states, states), -float(decoding.change_cost))
    if decoding.leap_cost:
        leaps = np.maximum(distance - 2, 0)
        leaps[0, :] = leaps[:, 0] = 0  # to or from a rest
        base -= decoding.leap_cost * leaps / 12
    base[rows[1:], rows[1:]] -= decoding.repeat_cost
    if decoding.step_bonus:
        by_step = distance <= 2
        by_step[rows, rows] = by_step[0, :] = by_step[:, 0] = False  # a repeat or a rest
        base += decoding.step_bonus * by_step
    base[rows, rows] -= 1e-6  # a repeated note: on a tie, the note is held instead
    base[0, 0] = -np.inf  # rest after rest is one rest
    base.setflags(write=False)
    return base


def viterbi(
    emissions: FloatArray,
    onset_yes: FloatArray,
    onset_no: FloatArray,
    decoding: Decoding,
    others: list[IntArray],
    first: int,
    start: tuple[int, int] | None,
    direction: int = 0,
) -> tuple[IntArray, BoolArray, float]:
    """The best line over steps ``first..T-1`` as ``(columns, onsets, score)`` (column
    -1 = rest), given the per-step ``emissions`` (T, 1 + P; state 0 = rest, k = column
    k - 1) and the onset head's log-probabilities of a note starting or not, each (T,).
    ``start`` is the state at ``first - 1`` and how long it has lasted (None: the line
    starts free at ``first``), ``direction`` the direction of the line's last move
    before ``first`` (:data:`UP`, :data:`DOWN` or 0: none; read with ``turn_cost``
    only). The score is -inf when no line keeps every constraint (states with -inf
    emissions, forbidden parallels).

    The search state is (state, run length so far, capped at the longer of
    ``min_note_steps`` and ``min_rest_steps``): a note may only end once it has lasted
    ``min_note_steps``, a rest ``min_rest_steps``.
    """
    reachable = np.asarray(np.isfinite(emissions[first:]).any(axis=0))
    reachable[0] = True  # rest stays the first state
    if start is not None:
        reachable[start[0]] = True
    kept = np.flatnonzero(reachable)
    if start is not None:
        start = (int(np.searchsorted(kept, start[0])), start[1])
    base = transition_costs(decoding, emissions.shape[1])[np.ix_(kept, kept)]
    line, starts, best = _search(
        emissions[:, kept],
        (onset_yes, onset_no),
        (decoding, base),
        others,
        first,
        start,
        kept,
        direction,
    )
    return np.where(line >= 0, kept[line + 1] - 1, -1), starts, best


def _search(
    emissions: FloatArray,
    onset: tuple[FloatArray, FloatArray],
    rules: tuple[Decoding, FloatArray],
    others: list[IntArray],
    first: int,
    start: tuple[int, int] | None,
    kept: IntArray,
    direction: int = 0,
) -> tuple[IntArray, BoolArray, float]:
    """:func:`viterbi` over the states ``kept`` (rest first, then rising pitches) alone:
    ``emissions``, ``start`` and the transition costs ``rules[1]`` are in those states,
    the line's columns are indices into ``kept[1:]``."""
    onset_yes, onset_no = onset
    decoding, base = rules
    steps, states = emissions.shape
    shortest = np.full(states, max(1, decoding.min_note_steps))
    shortest[0] = max(1, decoding.min_rest_steps)
    cap = int(shortest.max())  # run lengths 1..cap, the last meaning >= cap
    rows = np.arange(states)
    sounding = (rows > 0).astype(np.float64)
    stay_bonus = onset_no[:, None] * sounding  # (T, S): a sounding note goes on
    arrive_bonus = onset_yes[:, None] * sounding + emissions  # (T, S): a run starts
    staying = stay_bonus + emissions  # (T, S): a run goes on
    score = np.full((states, cap), -np.inf)
    if start is None:
        score[:, 0] = arrive_bonus[first]
        begin = first + 1
    else:
        state, length = start
        score[state, min(length, cap) - 1] = 0.0
        begin = first
    moves = np.broadcast_to(base, (steps, states, states))
    if decoding.parallel_cost or decoding.forbid_parallels:
        parallel = parallel_steps(others, kept[1:] - 1, max(begin, 1), steps)
        if decoding.forbid_parallels:
            moves = np.where(parallel, -np.inf, base)
        else:
            moves = base - decoding.parallel_cost * parallel
    if cap == 1 and decoding.turn_cost:
        return _contour_search(
            (staying, arrive_bonus), moves, decoding.turn_cost, first, (start, direction)
        )
    origins = np.zeros((steps, states), dtype=np.int64)  # the state a run at t came from
    origin_lengths = np.zeros((steps, states), dtype=np.int64)  # and that run's length
    changed = np.zeros((steps, states), dtype=np.bool_)  # cap 1: the run at t is new
    held = np.zeros((steps, states), dtype=np.bool_)  # cap > 1: (s, cap) came from (s, cap)
    if cap == 1:  # every run may end at any step: the state alone
        line_score = score[:, 0]
        for t in range(begin, steps):
            leave = line_score[:, None] + moves[t]  # (from, to)
            origin = leave.argmax(0)
            origins[t] = origin
            arrive = leave[origin, rows] + arrive_bonus[t]
            stay = line_score + staying[t]
            changed[t] = new = arrive > stay
            line_score = np.where(new, arrive, stay)
        score = line_score[:, None]
    else:
        may_end = np.arange(cap)[None, :] >= shortest[:, None] - 1  # (S, cap)
        for t in range(begin, steps):
            ending = np.where(may_end, score, -np.inf)
            lengths = ending.argmax(1)
            leave = ending[rows, lengths][:, None] + moves[t]
            origin = leave.argmax(0)
            origins[t] = origin
            origin_lengths[t] = lengths[origin]
            arrive = leave[origin, rows] + arrive_bonus[t]
            stay = score + staying[t][:, None]
            held[t] = keep = stay[:, -1] > stay[:, -2]
            score = np.empty_like(score)
            score[:, 0] = arrive
            score[:, 1:] = stay[:, :-1]
            score[keep, -1] = stay[keep, -1]
    line = np.zeros(steps, dtype=np.int64)
    starts = np.zeros(steps, dtype=np.bool_)
    best = float(score.max())
    state, length = (int(i) for i in np.unravel_index(int(score.argmax()), score.shape))
    for t in range(steps - 1, first - 1, -1):
        line[t] = state
        if t == first and start is None:
            starts[t] = state > 0
            break
        new = changed[t, state] if cap == 1 else length == 0
        starts[t] = bool(new) and state > 0
        if new:
            state, length = int(origins[t, state]), int(origin_lengths[t, state])
        elif cap > 1 and not (length == cap - 1 and held[t, state]):
            length -= 1
    return line[first:] - 1, starts[first:], best


@cache
def _contour_moves(states: int, turn_cost: float) -> FloatArray:
    """(S, 3, S, 3) read-only, over (from state, direction) x (to state, direction): what
    turning back costs where a move may arrive with that direction, -inf where it may
    not. A move between pitches arrives with its own direction, a repeat keeps the one it
    had, a move from or to a rest has none (states: rest first, then rising pitches)."""
    rows = np.arange(states)
    pitched = rows > 0
    both = pitched[:, None] & pitched[None, :]
    # the direction a move from p to q arrives with (-1: a repeat, which keeps it)
    heading = np.where(both, np.where(rows[None, :] > rows[:, None], UP, DOWN), 0)
    heading[rows[1:], rows[1:]] = -1
    directions = np.arange(3)
    arrives = (heading[:, None, :, None] == directions) | (
        (heading[:, None, :, None] == -1) & (directions[:, None] == directions)[None, :, None]
    )
    turning = np.zeros((3, 3))
    turning[UP, DOWN] = turning[DOWN, UP] = turn_cost
    extra = np.where(arrives, -turning[None, :, None, :], -np.inf)
    extra.setflags(write=False)
    return extra


def _contour_search(
    emissions: tuple[FloatArray, FloatArray],
    moves: FloatArray,
    turn_cost: float,
    first: int,
    start: tuple[tuple[int, int] | None, int],
) -> tuple[IntArray, BoolArray, float]:
    """:func:`_search` for lines whose runs may end at any step, the search state also
    holding the direction of the line's last move (0 none, :data:`UP`, :data:`DOWN`):
    a move against it costs ``turn_cost``. ``emissions`` are the scores of a run going
    on and of one starting (T, S); ``moves`` (T, S, S) the transitions' costs; ``start``
    the state before ``first`` (None: free) and the direction it arrived with. States
    are rest first, then pitches from low to high, so a move's direction is the order of
    its states. A repeated note keeps the direction; a move from or to a rest has none."""
    staying, arrive_bonus = emissions
    steps, states = staying.shape
    size = 3 * states
    extra = _contour_moves(states, turn_cost)  # (S, 3, S, 3)
    arrive_flat = np.repeat(arrive_bonus, 3, axis=1)  # (T, 3 S)
    stay_flat = np.repeat(staying, 3, axis=1)
    score = np.full(size, -np.inf)  # index 3 * state + direction
    state, direction = start
    if state is None:
        score[0::3] = arrive_bonus[first]
        begin = first + 1
    else:
        score[3 * state[0] + direction] = 0.0
        begin = first
    origins = np.zeros((steps, size), dtype=np.int64)  # where a new run came from
    changed = np.zeros((steps, size), dtype=np.bool_)  # the run at t is new
    for t in range(begin, steps):
        leave = (extra + score.reshape(states, 3, 1, 1) + moves[t][:, None, :, None]).reshape(
            size, size
        )
        origin = leave.argmax(0)
        origins[t] = origin
        arrive = leave.max(0) + arrive_flat[t]
        stay = score + stay_flat[t]
        changed[t] = new = arrive > stay
        score = np.where(new, arrive, stay)
    line = np.zeros(steps, dtype=np.int64)
    starts = np.zeros(steps, dtype=np.bool_)
    best = float(score.max())
    at = int(score.argmax())
    for t in range(steps - 1, first - 1, -1):
        line[t] = at // 3
        if t == first and state is None:
            starts[t] = at >= 3
            break
        new = bool(changed[t, at])
        starts[t] = new and at >= 3
        if new:
            at = int(origins[t, at])
    return line[first:] - 1, starts[first:], best
