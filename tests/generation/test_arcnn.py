"""AR-CNN v2: the inpainting network, its masks and loss, and the Gibbs sampler's rules.

A tiny network with random weights is enough for the sampler's rules (quotas, ranges,
voices, determinism): they hold whatever the network says."""

import itertools
from dataclasses import replace

import numpy as np
import pytest
import torch

from generation import figures
from generation.arcnn.cells import allowed_classes, final_chord_of
from generation.arcnn.gibbs import (
    Sampling,
    _gibbs_step,
    harmonise,
    hidden_share,
    prepare,
)
from generation.arcnn.lines import parallel_candidates, passing_notes, without_overlaps
from generation.arcnn.network import (
    VOICES,
    ArcnnConfig,
    Inpainter,
    features,
    inpainting_loss,
    train,
    training_masks,
)
from generation.checkpoint import load_checkpoint, parameter_count, save_checkpoint
from generation.gan.constraints import Ending
from generation.gan.lines import line
from generation.training import TrainOptions
from music.score import Note, Score, Track

TINY = ArcnnConfig(channels=16, blocks=2)


pytestmark = pytest.mark.usefixtures("one_thread")


def model(config=TINY, seed=0):
    torch.manual_seed(seed)
    return Inpainter(config).eval()


def melody(bars=8, tempo=100.0, low=60):
    degrees = (0, 2, 4, 5, 7, 5, 4, 2)
    notes = [Note(i * 480, low + degrees[i % 8], 480, 90) for i in range(4 * bars)]
    return Score([Track(notes, program=0)], resolution=480, tempo=tempo)


def test_the_network_gives_per_voice_logits_over_rest_and_pitches():
    net = model()
    columns = torch.randint(-1, TINY.pitches, (2, VOICES, 40))
    mask = torch.rand(2, VOICES, 40) < 0.5
    x = features(columns, columns >= 0, mask, torch.zeros(2, 2, 40), TINY.classes)
    assert x.shape == (2, TINY.input_features, 40)
    pitch_logits, onset_logits = net(x)
    assert pitch_logits.shape == (2, VOICES, 40, TINY.classes)
    assert onset_logits.shape == (2, VOICES, 40)


def test_hidden_cells_are_invisible_to_the_network():
    columns = torch.randint(0, TINY.pitches, (1, VOICES, 16))
    other = columns.clone()
    mask = torch.zeros(1, VOICES, 16, dtype=torch.bool)
    mask[0, 2, 5] = True
    other[0, 2, 5] = (columns[0, 2, 5] + 3) % TINY.pitches
    meter = torch.zeros(1, 2, 16)
    a = features(columns, columns >= 0, mask, meter, TINY.classes)
    b = features(other, other >= 0, mask, meter, TINY.classes)
    assert torch.equal(a, b)
    c = features(other, other >= 0, torch.zeros_like(mask), meter, TINY.classes)
    assert not torch.equal(a, c)


def test_the_loss_counts_hidden_cells_only():
    columns = torch.randint(0, TINY.pitches, (2, VOICES, 16))
    onsets = torch.ones_like(columns, dtype=torch.bool)
    mask = torch.zeros(2, VOICES, 16, dtype=torch.bool)
    mask[:, 1:, :8] = True
    logits = torch.randn(2, VOICES, 16, TINY.classes)
    onset_logits = torch.zeros(2, VOICES, 16)
    base = inpainting_loss(logits, onset_logits, columns, onsets, mask)
    changed = columns.clone()
    changed[:, 0] = (changed[:, 0] + 1) % TINY.pitches  # the soprano is visible everywhere
    assert inpainting_loss(logits, onset_logits, changed, onsets, mask) == pytest.approx(base)
    changed[:, 1, 0] = (changed[:, 1, 0] + 1) % TINY.pitches  # a hidden cell
    assert inpainting_loss(logits, onset_logits, changed, onsets, mask) != pytest.approx(base)


def test_training_masks_come_in_every_kind_and_never_hide_nothing():
    masks = training_masks(400, 64, np.random.default_rng(0), ArcnnConfig())
    assert masks.reshape(400, -1).any(axis=1).all()
    lower_whole = masks[:, 1:].all(axis=(1, 2))
    assert 0.2 < lower_whole.mean() < 0.5  # the harmonising kind (and some whole voices)
    assert (lower_whole & ~np.any(masks[:, 0], axis=1)).any()  # soprano given, the rest hidden
    spans = np.any(np.all(masks, axis=1), axis=1) & ~np.all(masks, axis=(1, 2))
    assert spans.any()
    partial = masks[:, 1:].mean(axis=(1, 2))
    assert ((partial > 0.1) & (partial < 0.9)).mean() > 0.3  # random rates


def test_a_tiny_network_learns_a_voice_from_the_others():
    """Alto = soprano - 3 and so on: a rule the network can only learn from visible cells."""
    config = replace(TINY, channels=32)
    torch.manual_seed(0)
    net = Inpainter(config)
    optimizer = torch.optim.Adam(net.parameters(), lr=3e-3)
    rng = np.random.default_rng(0)

    def batch():
        soprano = rng.integers(30, 40, size=(16, 1, 24))
        columns = torch.from_numpy(np.concatenate([soprano - d for d in (0, 3, 7, 12)], axis=1))
        mask = torch.from_numpy(training_masks(16, 24, rng, config))
        return columns, torch.ones_like(columns, dtype=torch.bool), mask, torch.zeros(16, 2, 24)

    def loss(b):
        pitch_logits, onset_logits = net(features(b[0], b[1], b[2], b[3], config.classes))
        return inpainting_loss(pitch_logits, onset_logits, *b[:3])

    fixed = batch()
    net.eval()
    before = loss(fixed).item()
    net.train()
    for _ in range(150):
        optimizer.zero_grad()
        loss(batch()).backward()
        optimizer.step()
    net.eval()
    assert loss(fixed).item() < 0.5 * before


def test_the_hidden_share_anneals_from_all_to_a_few():
    shares = [hidden_share(i, 100) for i in range(100)]
    assert shares[0] == 1.0
    assert all(a >= b for a, b in itertools.pairwise(shares))
    assert shares[-1] == pytest.approx(0.05)


def test_a_melody_becomes_four_voices_in_satb_ranges(assert_four_voices):
    out = harmonise(melody(), model(), Sampling(iterations=20), 0)
    assert_four_voices(out)
    assert out.tempo == 100.0
    assert out.time_signature == (4, 4)
    assert out.resolution == 480
    assert out.end_tick <= melody().end_tick


def ending_on(tonic_note, bars=4):
    """A C major tune whose last note, held two beats, is ``tonic_note``."""
    tune = melody(bars)
    end = tune.tracks[0].notes[-1].end
    notes = [*tune.tracks[0].notes, Note(end, tonic_note, 960, 90)]
    return replace(tune, tracks=[Track(notes, program=0)])


def test_a_melody_ending_on_its_tonic_ends_on_the_tonic_chord_over_the_tonic():
    given = ending_on(60)
    last = given.tracks[0].notes[-1]
    for seed in range(4):  # a random network: the rule, not the model, decides
        out = harmonise(given, model(seed=seed), Sampling(iterations=12), seed)
        under = [
            [n.pitch % 12 for n in track.notes if n.start < last.end and n.end > last.start]
            for track in out.tracks
        ]
        assert set(under[3]) == {0}  # the bass: C alone, from the last note's start
        for inner in (under[1], under[2]):
            assert inner  # no voice rests in the final chord
            assert set(inner) <= {0, 4, 7}


def test_a_last_note_from_the_first_half_of_its_bar_asks_for_a_final_chord():
    tune = ending_on(60)  # the last note starts on a bar line
    assert final_chord_of(tune, 2) == Ending(4 * 8, 0, frozenset({0, 4, 7}))
    notes = tune.tracks[0].notes
    played = replace(tune, tracks=[Track([*notes[:-1], replace(notes[-1], duration=120)])])
    assert final_chord_of(played, 2) == Ending(4 * 8, 0, frozenset({0, 4, 7}))  # played short
    late = [
        *notes[:-2],
        replace(notes[-2], duration=480 * 3),
        replace(notes[-1], start=notes[-1].start + 480 * 3),
    ]
    # the last note on the fourth beat: the tune may stop mid-phrase
    assert final_chord_of(replace(tune, tracks=[Track(late)]), 2) is None


def test_the_melody_keeps_its_last_note_and_nothing_is_added_after_it(monkeypatch):
    monkeypatch.setattr("generation.arcnn.gibbs.INPUT_BONUS", 0.0)  # free to rewrite
    tune = ending_on(60)
    notes = tune.tracks[0].notes
    last = replace(notes[-1], duration=720)  # played short: an eighth of rest after it
    given = replace(tune, tracks=[Track([*notes[:-1], last])])
    rewritten = False
    for seed in range(6):
        out = harmonise(given, model(seed=seed), Sampling(iterations=40), seed)
        assert [n for n in out.tracks[0].notes if n.end > last.start] == [last]
        rewritten |= out.tracks[0].notes[:-1] != notes[:-1]
    assert rewritten  # the notes before it may change


def test_the_final_chord_leaves_an_input_voice_as_it_is():
    # four voices given, none may change: a bass ending on D stays on D
    tune = ending_on(60)
    voices = [
        Track([replace(n, pitch=n.pitch - step) for n in tune.tracks[0].notes], program=0)
        for step in (0, 5, 12, 22)
    ]
    given = replace(tune, tracks=voices)
    out = harmonise(given, model(), Sampling(iterations=12, remove_pct=0), 0)
    assert [n.pitch for n in out.tracks[3].notes][-1] == voices[3].notes[-1].pitch
    assert voices[3].notes[-1].pitch % 12 == 2


def test_no_iterations_leave_the_input_as_it_is():
    given = melody()
    assert harmonise(given, model(), Sampling(iterations=0), 0) == given


def test_the_melody_stays_when_no_input_note_may_change():
    given = melody(low=45)  # low: moved up by octaves into the soprano's range (A2-E3)
    out = harmonise(given, model(), Sampling(iterations=30, remove_pct=0), 3)
    move = prepare(given, TINY).octave_move
    assert move == 24
    assert [(n.start, n.pitch - move, n.duration) for n in out.tracks[0].notes] == [
        (n.start, n.pitch, n.duration) for n in given.tracks[0].notes
    ]


def test_the_octave_move_keeps_every_input_note_inside_midi():
    # A melody (G3-D4) that fits the soprano's range (C4-A5) best an octave up, with one
    # note at the top of MIDI's range: that move would put the note at 132, which no MIDI
    # file can hold (the job failed writing it), so the melody stays where it is.
    assert prepare(melody(low=55), TINY).octave_move == 12
    given = melody(low=55)
    tune = given.tracks[0].notes
    given.tracks[0].notes = [*tune[:-1], replace(tune[-1], pitch=120)]
    assert prepare(given, TINY).octave_move == 0
    out = harmonise(given, model(), Sampling(iterations=10), 0)
    assert all(0 <= n.pitch <= 127 for track in out.tracks for n in track.notes)
    assert max(n.pitch for n in out.tracks[0].notes) == 120
    low = melody(low=55)
    low.tracks[0].notes = [replace(low.tracks[0].notes[0], pitch=5), *low.tracks[0].notes[1:]]
    assert prepare(low, TINY).octave_move == 12  # a low note does not stop a move up


def test_the_removal_quota_bounds_the_changed_melody_cells(monkeypatch):
    monkeypatch.setattr("generation.arcnn.gibbs.INPUT_BONUS", 0.0)  # no pull to the input
    given = melody()
    steps = 64

    def soprano(score):
        return line(score.tracks[0].notes, steps, 2, score.resolution)[0]

    changes = []
    for pct in (10, 40):
        out = harmonise(given, model(), Sampling(iterations=60, remove_pct=pct), 1)
        changes.append(int((soprano(out) != soprano(given)).sum()))
        assert changes[-1] <= pct / 100 * steps
    assert changes[-1] > 0  # a random network takes what it may


def test_the_add_quota_writes_whole_voices_bass_first():
    given = melody()  # 8 bars: a voice is 64 cells
    names = {
        add: [t.name for t in harmonise(given, model(), Sampling(20, add_per_quota=add), 0).tracks]
        for add in (0, 64, 130, 192)
    }
    assert names[0] == ["Soprano"]
    assert names[64] == ["Soprano", "Bass"]
    assert names[130] == ["Soprano", "Alto", "Bass"]
    assert names[192] == ["Soprano", "Alto", "Tenor", "Bass"]


def test_chords_keep_their_top_line_as_the_melody(assert_four_voices):
    tune = melody(bars=4)
    chords = [
        Note(n.start, n.pitch - d, n.duration, 70) for n in tune.tracks[0].notes for d in (4, 9)
    ]
    given = Score([Track(tune.tracks[0].notes + chords)], resolution=480)
    out = harmonise(given, model(), Sampling(iterations=10, remove_pct=0), 0)
    assert [n.pitch for n in out.tracks[0].notes] == [n.pitch for n in tune.tracks[0].notes]
    assert_four_voices(out)


def test_four_tracks_are_taken_as_the_four_voices_and_can_be_chained(assert_four_voices):
    first = harmonise(melody(), model(), Sampling(iterations=20), 0)
    unchanged = harmonise(first, model(), Sampling(iterations=20, remove_pct=0), 1)
    assert [sorted(t.notes) for t in unchanged.tracks] == [sorted(t.notes) for t in first.tracks]
    rewritten = harmonise(first, model(), Sampling(iterations=40, remove_pct=30), 1)
    assert_four_voices(rewritten)
    assert rewritten.tracks != first.tracks


def test_same_seed_same_output_different_seed_different():
    net, given = model(), melody()
    assert harmonise(given, net, Sampling(20), 5) == harmonise(given, net, Sampling(20), 5)
    assert harmonise(given, net, Sampling(20), 5) != harmonise(given, net, Sampling(20), 6)


def test_progress_is_reported_with_every_iteration():
    heard: list[float] = []
    harmonise(melody(), model(), Sampling(iterations=12), 0, progress=heard.append)
    assert len(heard) == 12
    assert heard == sorted(heard)
    assert heard[-1] == 1.0


def test_a_coarse_resolution_is_refined_so_grid_steps_are_whole_ticks():
    coarse = Score([Track([Note(i, 60 + i % 12, 1) for i in range(16)])], resolution=1)
    out = harmonise(coarse, model(), Sampling(iterations=5), 0)
    assert out.resolution == TINY.steps_per_beat
    assert all(n.duration > 0 for t in out.tracks for n in t.notes)


def test_overlapping_notes_of_one_pitch_are_cut_where_the_next_starts():
    notes = [Note(0, 60, 960), Note(480, 60, 480), Note(480, 64, 480), Note(480, 60, 240)]
    kept = without_overlaps(notes)
    assert [(n.start, n.pitch, n.duration) for n in kept] == [
        (0, 60, 480),
        (480, 60, 240),  # one of two notes starting together on one pitch
        (480, 64, 480),
    ]


def test_checkpoint_round_trip_gives_identical_output(tmp_path):
    net = model()
    path = tmp_path / "arcnn.pt"
    save_checkpoint(net, TINY, path, {"data": {}})
    loaded, config, _ = load_checkpoint(path, ArcnnConfig, Inpainter)
    assert config == TINY
    assert harmonise(melody(), net, Sampling(10), 2) == harmonise(melody(), loaded, Sampling(10), 2)


@pytest.mark.slow
def test_training_end_to_end_writes_weights_meta_and_curve(tmp_path):
    out = tmp_path / "arcnn.pt"
    options = TrainOptions(
        steps=3, eval_every=2, eval_batches=1, batch_size=4, threads=1, progress=False
    )
    meta = train(TINY, options, out)
    assert out.exists()
    assert (tmp_path / "arcnn" / "loss_curve.png").exists()
    assert meta["training"]["steps"] == 3
    assert meta["data"]["train_split"]["pieces"] > meta["data"]["validation_split"]["pieces"] > 0
    loaded, _, _ = load_checkpoint(out, ArcnnConfig, Inpainter)
    assert parameter_count(loaded) == meta["parameters"]


def test_parallel_fifths_and_octaves_are_found_on_both_sides_of_a_cell():
    columns = np.full((4, 3), -1)
    columns[3] = [3, 5, 7]  # the bass moves up a tone at every step
    columns[0, 0], columns[0, 2] = 10, 19  # the soprano: a fifth above before, an octave after
    bad = parallel_candidates(columns, np.array([0]), np.array([1]), 24)[0]
    assert set(np.flatnonzero(bad)) == {0, 12, 5, 17}  # fifths over 5 before; octaves after
    columns[3] = [3, 3, 7]  # the bass holds into the cell: nothing parallel with the step before
    bad = parallel_candidates(columns, np.array([0]), np.array([1]), 24)[0]
    assert set(np.flatnonzero(bad)) == {3, 15}
    assert not bad[19]  # holding the octave's upper note into the step after is no move


def test_parallels_with_a_voice_above_are_found_too():
    columns = np.full((4, 2), -1)
    columns[0] = [22, 24]  # the soprano moves up a tone
    columns[3, 0] = 15  # the bass a fifth below it before
    bad = parallel_candidates(columns, np.array([3]), np.array([1]), 24)[0]
    assert set(np.flatnonzero(bad)) == {5, 17}  # a fifth below 24 again (mod 12)
    columns[3, 0] = 10  # an octave below before: octaves after are the parallels
    bad = parallel_candidates(columns, np.array([3]), np.array([1]), 24)[0]
    assert set(np.flatnonzero(bad)) == {0, 12}


def test_a_rewritten_melody_note_keeps_its_rhythm_and_takes_one_pitch(monkeypatch):
    monkeypatch.setattr("generation.arcnn.gibbs.INPUT_BONUS", 0.0)
    notes = [Note(0, 67, 960, 90), Note(960, 69, 480, 90), Note(1440, 71, 1440, 90)]
    notes += [Note(2880 + i * 480, 72 - i % 3, 480, 90) for i in range(4)]
    given = Score([Track(notes, program=0)], resolution=480, tempo=100.0)
    changed = 0
    for seed in range(4):
        out = harmonise(given, model(), Sampling(iterations=40, remove_pct=100), seed)
        rhythm = {n.start: n for n in notes}
        for note in out.tracks[0].notes:  # a note is never cut or merged
            assert note.duration == rhythm[note.start].duration
            changed += note.pitch != rhythm[note.start].pitch
    assert changed  # a random network takes what it may, note by note


def test_a_network_sure_of_rests_neither_deletes_the_melody_nor_leaves_it_alone(monkeypatch):
    """Code version 8: a network sure of a rest deleted the input's notes and wrote
    rests under them (a lone note after a long rest went, and the whole output with it).
    Now every input note stays, rhythm kept, and the written voices sound under it."""
    monkeypatch.setattr("generation.arcnn.gibbs.INPUT_BONUS", 0.0)
    net = model()
    with torch.no_grad():  # every voice's rest logit far above every pitch's
        net.out.bias[torch.arange(VOICES) * (TINY.classes + 1)] = 50.0
    notes = [Note(960 + i * 480, 67 + i, 480, 90) for i in range(4)]  # after two beats' rest
    given = Score([Track(notes, program=0)], resolution=480, tempo=100.0)
    for seed in range(3):
        out = harmonise(given, net, Sampling(iterations=20, remove_pct=100), seed)
        assert [(n.start, n.duration) for n in out.tracks[0].notes] == [
            (n.start, n.duration) for n in notes
        ]
        assert len(out.tracks) == 4
        for track in out.tracks[1:]:  # sounding from the melody's first note to its last
            heard = sorted(track.notes)
            assert heard[0].start <= 960
            assert all(a.end >= b.start for a, b in itertools.pairwise(heard))
            assert heard[-1].end >= notes[-1].end


def test_a_rewritten_melody_keeps_its_dotted_rhythms_and_sixteenths(monkeypatch):
    """Code version 5: a melody with one note rewritten used to come back read off the
    eighth-note grid, every dotted rhythm and sixteenth of it gone."""
    monkeypatch.setattr("generation.arcnn.gibbs.INPUT_BONUS", 0.0)
    notes = []
    for bar in range(4):  # dotted eighth + sixteenth, twice a bar, then two quarters
        start = bar * 1920
        notes += [Note(start, 67, 360, 90), Note(start + 360, 69, 120, 90)]
        notes += [Note(start + 480, 71, 360, 90), Note(start + 840, 72, 120, 90)]
        notes += [Note(start + 960, 74, 480, 90), Note(start + 1440, 72, 480, 90)]
    given = Score([Track(notes, program=0)], resolution=480, tempo=100.0)
    rhythm = {n.start: n for n in notes}
    rewritten = 0
    for seed in range(3):
        out = harmonise(given, model(), Sampling(iterations=40, remove_pct=100), seed)
        for note in out.tracks[0].notes:
            source = rhythm[note.start]  # every note is one of the input's, never the grid's
            assert note.duration == source.duration
            if note.start % 240:  # a sixteenth between grid steps keeps its pitch
                assert note.pitch == source.pitch
            rewritten += note.pitch != source.pitch
        assert sum(n.start % 240 != 0 for n in out.tracks[0].notes) == 8
    assert rewritten  # a random network without the pull rewrites some notes


def test_a_rest_in_the_melody_may_be_filled_inside_the_rest(monkeypatch):
    monkeypatch.setattr("generation.arcnn.gibbs.INPUT_BONUS", 0.0)
    notes = [Note(bar * 1920 + i * 480, 67 + i, 480, 90) for bar in range(4) for i in range(2)]
    given = Score([Track(notes, program=0)], resolution=480, tempo=100.0)
    filled = []
    for seed in range(6):
        out = harmonise(given, model(), Sampling(iterations=40, remove_pct=100), seed)
        filled += [n for n in out.tracks[0].notes if n.start % 1920 >= 960]
    assert filled  # the random network writes into the rests it may change
    for note in filled:  # what it writes there lies inside the rest
        assert note.start % 1920 + note.duration <= 1920


def test_the_input_bonus_keeps_the_melody_a_network_finds_plausible(monkeypatch):
    given = melody()
    kept = harmonise(given, model(), Sampling(iterations=40, remove_pct=100), 2)
    monkeypatch.setattr("generation.arcnn.gibbs.INPUT_BONUS", 0.0)
    free = harmonise(given, model(), Sampling(iterations=40, remove_pct=100), 2)
    pitches = [n.pitch for n in given.tracks[0].notes]
    assert [n.pitch for n in kept.tracks[0].notes] == pitches  # a random net is never sure
    assert [n.pitch for n in free.tracks[0].notes] != pitches


def test_a_held_note_leaping_a_third_may_end_in_a_passing_note():
    net = model()
    columns = np.full((4, 8), 30)
    columns[1] = [30, 30, 34, 34, 34, 34, 30, 30]  # alto: up a major third at step 2
    columns[2] = [20, 20, 20, 21, 23, 23, 23, 23]  # tenor: not held into the leap
    onsets = np.zeros((4, 8), dtype=np.bool_)
    onsets[:, 0] = True
    onsets[1, [2, 6]] = onsets[2, [3, 4]] = True
    writable = np.zeros((4, 8), dtype=np.bool_)
    writable[1:] = True
    meter = torch.zeros((1, 2, 8))
    seen = set()
    for seed in range(12):
        cols, ons = columns.copy(), onsets.copy()
        passing_notes(
            net,
            cols,
            ons,
            writable,
            meter,
            allowed_classes(TINY, 0)[:, None].expand(-1, 8, -1),
            np.random.default_rng(seed),
            0.0,
        )
        changed = set(zip(*np.nonzero(cols != columns), strict=True))
        assert changed <= {(1, 1), (1, 5)}  # the last eighth before each leap, nothing else
        for voice, step in changed:
            assert min(columns[voice, step], columns[voice, step + 1]) < cols[voice, step]
            assert cols[voice, step] < max(columns[voice, step], columns[voice, step + 1])
            assert ons[voice, step]  # a new note
            assert ons[voice, step + 1]  # and the one it leads to starts again
        seen |= changed
    assert seen  # a random network takes one sometimes


@pytest.mark.parametrize("strike", [True, False])
def test_whether_a_repeated_pitch_is_struck_again_comes_from_the_onset_head(strike, monkeypatch):
    monkeypatch.setattr(figures, "SIXTEENTH_PASSING", 0.0)  # no eighth split in two
    net = model()
    onset_rows = [v * (TINY.classes + 1) + TINY.classes for v in range(VOICES)]
    with torch.no_grad():
        net.out.weight[onset_rows] = 0.0
        net.out.bias[onset_rows] = 50.0 if strike else -50.0
    out = harmonise(melody(), net, Sampling(iterations=20), 0)
    final = melody().tracks[0].notes[-1].start  # the final chord is held, by rule
    for track in out.tracks[1:]:
        notes = [n for n in sorted(track.notes) if n.start < final]
        if strike:  # every eighth a new note
            assert {n.duration for n in notes} == {240}, track.name
        else:  # a repeated pitch is held, never struck again
            assert all(
                not (a.pitch == b.pitch and a.end == b.start) for a, b in itertools.pairwise(notes)
            ), track.name


@pytest.mark.parametrize("cost", [0.0, 1000.0])
def test_the_off_beat_hold_cost_moves_written_voices_between_beats(cost, monkeypatch):
    """A network sure that every cell holds its pitch: between beats, written voices hold
    it without the cost and never with a prohibitive one; the melody's cells (an input
    note, ``groups`` >= 0) and the beats are left to the network."""
    monkeypatch.setattr("generation.arcnn.gibbs.OFFBEAT_HOLD_COST", cost)
    held = np.array([67, 58, 58, 58]) - TINY.low_pitch  # inside each voice's range
    net = model()
    with torch.no_grad():
        net.out.weight.zero_()
        net.out.bias.zero_()
        for voice in range(VOICES):
            net.out.bias[voice * (TINY.classes + 1) + held[voice] + 1] = 30.0
    steps = 8
    columns = np.repeat(held[:, None], steps, axis=1)
    onsets = np.zeros((4, steps), dtype=np.bool_)
    onsets[:, 0] = True
    groups = np.full((4, steps), -1)
    groups[0] = 0  # the melody: one input note
    hidden = np.zeros((4, steps), dtype=np.bool_)
    hidden[:, 1:] = True
    with torch.no_grad():
        _gibbs_step(
            net,
            columns,
            onsets,
            hidden,
            groups,
            columns.copy(),
            torch.zeros((1, 2, steps)),
            allowed_classes(TINY, 0)[:, None].expand(-1, steps, -1),
            Sampling(temperature=1.0),
            np.random.default_rng(0),
        )
    off_beat = np.arange(steps) % TINY.steps_per_beat == 1
    assert (columns[0] == held[0]).all()  # the melody's note is not a written voice
    assert (columns[1:, ~off_beat] == held[1:, None]).all()  # beats: the network's choice
    if cost:
        assert (columns[1:, off_beat] != held[1:, None]).all()
    else:
        assert (columns[1:, off_beat] == held[1:, None]).all()
