"""The Transformer's continuations keep voices, ranges and the key: steering, on tiny and
shipped models (issue 17)."""

import itertools

import numpy as np
import pytest
import torch

from generation.registry import TRANSFORMER_PARAMS
from generation.transformer import steering
from generation.transformer.extension import OUTPUT_PITCH_RANGE, extend, plan_extension
from generation.transformer.model import MusicTransformer, TransformerConfig, sampler_factory
from generation.transformer.model import generate as shipped_generate
from generation.transformer.stats import bar_patterns, ends_on_tonic, reused_bars
from generation.transformer.steering import (
    REPEAT_PENALTY,
    Rules,
    Steering,
    Voices,
    cadence_step,
    parallel_pitches,
    previous_voices,
)
from generation.transformer.tokens import VOCAB, Grammar, GridNote
from music.catalogue import list_samples, load_sample
from music.score import Note, Score, Track

TINY = TransformerConfig(context=64, n_layer=2, n_head=2, d_model=32, dropout=0.0)
PARAMS = TRANSFORMER_PARAMS.defaults()
WILD = {"creative_risk": 3.0, "sampling_threshold": 60}  # a random net, sampled widely

pytestmark = pytest.mark.usefixtures("one_thread")


def continue_with(model, score, params, seed):
    """``score`` extended by ``model``, every voice as the Transformer sampled it: these
    tests are about its steering (test_transformer_voicing.py tests the four-part
    continuation's lower voices written again by the AR-CNN's network)."""
    return extend(score, params, seed, sampler_factory(model))


def tiny(seed=0):
    torch.manual_seed(seed)
    return MusicTransformer(TINY).eval()


def melody(bars=4, low=60, program=0):
    steps = (0, 2, 4, 5, 7, 5, 4, 2)
    notes = [Note(i * 480, low + steps[i % 8], 480, 90) for i in range(4 * bars)]
    notes[-1] = Note(notes[-1].start, low, 480, 90)
    return Score([Track(notes, program=program, name="Lead")], resolution=480)


def chorale(bars=4, shift=0):
    parts = ((72, "S"), (67, "A"), (60, "T"), (48, "B"))
    voices = [
        Track([Note(i * 480, p + shift + (i % 3), 480, 70) for i in range(4 * bars)], name=name)
        for p, name in parts
    ]
    return Score(voices, resolution=480)


def new_notes(given, out):
    return [[n for n in t.notes if n.start >= given.end_tick] for t in out.tracks]


def sounding(notes, tick):
    return [n for n in notes if n.start <= tick < n.end]


def assert_voices(given, out):
    """Every track's new notes: one at a time, without gaps from the extension's start to
    its end; the first track (the melody) above all others at every moment."""
    tracks = [notes for notes in new_notes(given, out) if notes]
    assert len(tracks) >= 2
    start, end = min(n.start for t in tracks for n in t), out.end_tick
    for notes in tracks:
        notes = sorted(notes)
        assert notes[0].start == start
        assert all(a.end == b.start for a, b in itertools.pairwise(notes))  # no overlap, no gap
        assert notes[-1].end == end
    for tick in sorted({n.start for t in tracks for n in t}):
        (top,) = sounding(tracks[0], tick)
        assert all(top.pitch > n.pitch for t in tracks[1:] for n in sounding(t, tick))


def parallels(given, out):
    """Consecutive fifths and octaves (or unisons) between any two tracks at the onsets
    of the extension, including the move from the input's last chord."""
    tracks = [t.notes for t in out.tracks if t.notes]
    onsets = sorted({n.start for t in tracks for n in t if n.start >= given.end_tick})
    found = 0
    for before, now in itertools.pairwise([onsets[0] - 1, *onsets]):
        pitches = []
        for notes in tracks:
            a, b = sounding(notes, before), sounding(notes, now)
            pitches.append((a[0].pitch, b[0].pitch) if a and b else None)
        for x, y in itertools.combinations([p for p in pitches if p], 2):
            moving = x[0] != x[1] and y[0] != y[1]
            interval = abs(x[0] - y[0]) % 12
            found += moving and interval in (0, 7) and abs(x[1] - y[1]) % 12 == interval
    return found


# ----- the rules on their own -------------------------------------------------------


@pytest.mark.parametrize(
    ("meter", "min_step", "end_step", "expected"),
    [
        ((4, 4), 64, 128, 120),  # the last bar's third beat: a half note to end
        ((3, 4), 48, 96, 84),  # the last bar's downbeat: a dotted half
        ((6, 8), 24, 72, 60),  # the last bar's downbeat (two dotted-quarter pulses)
        ((2, 4), 16, 40, 32),  # two beats a bar: the downbeat, held one beat
        ((4, 4), 64, 66, 64),  # too short for any strong beat: the first step
    ],
)
def test_the_cadence_falls_on_the_last_strong_beat_that_leaves_a_held_note(
    meter, min_step, end_step, expected
):
    size = 16 * meter[0] // meter[1]
    assert cadence_step(meter, size, min_step=min_step, end_step=end_step) == expected


def test_new_notes_go_to_the_free_voices_from_the_top_down():
    voices = Voices(3, [72, 64, 48], start=0)
    notes = [GridNote(0, 74, 4), GridNote(0, 65, 2), GridNote(0, 50, 4), GridNote(2, 62, 2)]
    assert voices.assign(notes) == [0, 1, 2, 1]  # at step 2 only the alto is free
    assert voices.pitch == [74, 62, 50]


def test_the_prompts_last_chord_gives_each_voice_its_previous_pitch():
    chord = [GridNote(0, p, 4) for p in (72, 67, 60, 48)]
    assert previous_voices(chord, 4) == [72, 67, 60, 48]
    assert previous_voices([GridNote(0, 72, 4)], 4) == [72, None, None, None]
    assert previous_voices([GridNote(0, 72, 4), GridNote(0, 48, 4)], 3) == [72, None, 48]


def test_a_parallel_fifth_or_octave_with_a_voice_that_moved_is_forbidden():
    bad = parallel_pitches({0: (67, 69)}, before=60)  # the soprano moved G -> A over C
    fifths = [p for p in range(128) if (p < 69 and p % 12 == 2) or (p > 69 and p % 12 == 4)]
    assert np.flatnonzero(bad).tolist() == fifths  # below A, or (crossing) above it
    assert not parallel_pitches({0: (64, 65)}, before=60).any()  # a third: anything goes
    octave = parallel_pitches({0: (72, 74)}, before=60)
    assert octave[62]
    assert octave[50]
    assert not octave[60]


def final_chord(previous, voices=2):
    """A steering whose first onset is the cadence (C major), after the prompt's chord."""
    rules = Rules(
        voices=voices,
        ranges=((60, 84), *[(36, 72)] * (voices - 1)),
        previous=previous,
        min_step=0,
        end_step=32,
        cadence=0,
        triad=(0, 4, 7),
        bars=(),
    )
    steer = Steering(
        Grammar((4, 4), min_step=0, end_step=32, monophonic=False, voices=voices), rules
    )
    steer.start()
    for token in (VOCAB.BAR, VOCAB.position):
        steer.advance(token)
    return steer


def allowed_pitches(steer):
    return set(np.flatnonzero(steer.allowed()[VOCAB.pitch : VOCAB.duration]).tolist())


def test_the_final_chord_has_the_tonic_on_top_and_in_the_bass_held_to_the_end():
    steer = final_chord((71, 55))  # B over G: no parallels in the way
    assert allowed_pitches(steer) == {60, 72, 84}
    steer.advance(VOCAB.pitch + 72)
    assert np.flatnonzero(steer.allowed()).tolist() == [VOCAB.duration + 32 - 1]
    steer.advance(VOCAB.duration + 31)
    assert allowed_pitches(steer) == {36, 48, 60}


def test_a_bass_that_would_move_in_octaves_into_the_tonic_takes_another_triad_note():
    steer = final_chord((65, 53))  # F over F: C over C would be consecutive octaves
    for token in (VOCAB.pitch + 72, VOCAB.duration + 31):
        steer.advance(token)
    assert allowed_pitches(steer) == {40, 43, 52, 55, 64, 67}


def test_repeating_the_melodys_last_note_costs_a_little():
    steer = final_chord((71, 55))
    adjusted = steer.adjust(np.zeros(VOCAB.size))
    assert adjusted[VOCAB.pitch + 71] == -REPEAT_PENALTY
    assert adjusted[VOCAB.pitch + 72] == 0  # a step: free


# ----- continuations on a tiny random network ---------------------------------------


@pytest.mark.parametrize("seed", range(4))
def test_a_chorale_is_continued_in_voices_one_track_each_melody_on_top(seed):
    given = chorale()
    out = continue_with(tiny(seed), given, {**PARAMS, **WILD, "extension_duration": 8}, seed)
    assert [t.name for t in out.tracks] == ["S", "A", "T", "B"]
    assert_voices(given, out)
    assert parallels(given, out) == 0


@pytest.mark.parametrize("seed", range(3))
def test_polyphonic_texture_adds_voices_below_the_melody_on_new_tracks(seed):
    given = melody(program=41)
    params = {**PARAMS, **WILD, "extension_duration": 8, "texture": "polyphonic"}
    out = continue_with(tiny(seed), given, params, seed)
    assert [(t.name, t.program) for t in out.tracks] == [
        ("Lead", 41),
        ("Lead voice 2", 41),
        ("Lead voice 3", 41),
        ("Lead voice 4", 41),
    ]
    assert out.tracks[0].notes[: given.note_count] == given.tracks[0].notes
    assert_voices(given, out)
    assert {n.velocity for t in out.tracks for n in t.notes} == {90}


@pytest.mark.parametrize("texture", ["monophonic", "polyphonic"])
def test_nothing_leaves_the_inputs_register(texture):
    given = chorale(shift=-30)  # MIDI 18-44: its bass is below a piano's lowest key (21)
    out = continue_with(tiny(), given, {**PARAMS, **WILD, "texture": texture}, 0)
    melody, *lower = new_notes(given, out)
    assert melody
    # the top line (42-44) with a fourth either side, widened to a twelfth; the lower
    # voices from the input's lowest note less a fourth, but never below a piano's keys
    assert all(34 <= n.pitch <= 53 for n in melody)
    assert all(OUTPUT_PITCH_RANGE[0] <= n.pitch <= 53 for notes in lower for n in notes)


def test_a_melody_stays_in_its_own_range():
    given = melody(low=72)  # C5-G5
    plan = plan_extension(given, input_duration=30, extension_duration=10)
    (melody_range,) = plan.rules.ranges
    assert np.subtract(melody_range, plan.shift).tolist() == [
        66,
        85,
    ]  # a fourth beyond, then a twelfth wide
    out = continue_with(tiny(), given, {**PARAMS, **WILD, "extension_duration": 10}, 0)
    assert all(66 <= n.pitch <= 85 for n in new_notes(given, out)[0])


@pytest.mark.parametrize("seed", range(3))
def test_the_continuation_ends_on_the_tonic_on_a_strong_beat_held(seed):
    given = melody()  # C major, 4/4; 10 s at 100 bpm: 17 beats, ending on a second beat
    out = continue_with(tiny(seed), given, {**PARAMS, **WILD, "extension_duration": 10}, seed)
    last = max(new_notes(given, out)[0])
    assert last.pitch % 12 == 0
    assert last.start % 960 == 0  # the first or the third beat of its bar
    assert last.end == out.end_tick
    assert last.duration >= 960


def test_same_seed_same_voices_different_seed_different():
    given, net = chorale(), tiny()
    params = {**PARAMS, **WILD, "extension_duration": 6}
    a, b, c = (continue_with(net, given, params, seed) for seed in (5, 5, 6))
    assert a.tracks == b.tracks
    assert a.tracks != c.tracks


def test_the_input_bars_come_back_more_often_with_the_motif_memory(monkeypatch):
    given = melody(bars=8)
    params = {**PARAMS, "sampling_threshold": 20, "extension_duration": 20}
    # a random network would rather not repeat anything: a strong memory shows the mechanism
    monkeypatch.setattr(steering, "COPY_START", 0.9)
    monkeypatch.setattr(steering, "COPY_CONTINUE", 0.95)

    def reuse():
        made = [continue_with(tiny(s), given, params, s) for s in range(4)]
        counts = np.array([reused_bars(_after(m, given), given) for m in made]).sum(axis=0)
        return counts[0] / counts[1]

    remembered = reuse()
    monkeypatch.setattr(steering, "COPY_START", 0.0)
    monkeypatch.setattr(steering, "COPY_CONTINUE", 0.0)
    assert remembered >= 0.1
    assert reuse() < remembered / 3


# ----- the shipped model ------------------------------------------------------------


@pytest.mark.slow
def test_shipped_continuations_of_the_sample_melodies_end_on_the_tonic_and_reuse_bars():
    melodies = [load_sample(sample.slug) for sample in list_samples()[:6]]
    made = [(shipped_generate(m, PARAMS, seed), m) for m in melodies for seed in range(3)]
    endings = [ends_on_tonic(out, given) for out, given in made]
    assert sum(bool(e) for e in endings) >= 0.65 * len(endings)
    reused = np.array([reused_bars(_after(out, given), given) for out, given in made])
    assert reused[:, 0].sum() >= 0.1 * reused[:, 1].sum()


def _after(out, given):
    notes = [n for n in out.tracks[0].notes if n.start >= given.end_tick]
    return Score([Track(notes)], resolution=out.resolution, time_signature=out.time_signature)


def test_bar_patterns_are_read_from_the_top_line():
    score = Score([Track([Note(0, 60, 480), Note(0, 64, 480), Note(1920, 62, 960)])])
    assert bar_patterns(score) == [((0, 64, 480),), ((0, 62, 960),)]
