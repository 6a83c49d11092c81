"""Beat tokens: the round trip, the vocabulary, windows, and the grammar of continuations."""

import numpy as np
import pytest

from generation.transformer.tokens import (
    MAX_DURATION,
    VOCAB,
    Grammar,
    GridNote,
    bar_steps,
    decode,
    encode,
    frontier_features,
    grid_notes,
    key_shift,
    score_tokens,
    tail_indices,
    transposed,
)
from music.catalogue import list_samples, load_sample
from music.score import Note, Score, Track


def chords_and_rests() -> Score:
    """Two voices, a rest bar, a tie over the bar line, a note off the grid."""
    upper = [Note(0, 72, 480), Note(480, 74, 240), Note(720, 76, 1200), Note(3840, 79, 470)]
    lower = [Note(0, 60, 960), Note(960, 64, 960), Note(3850, 55, 480)]
    return Score([Track(upper), Track(lower, program=33)], resolution=480, time_signature=(3, 4))


def names(tokens):
    return [VOCAB.name(t) for t in tokens]


def test_a_melody_reads_as_bars_positions_pitches_and_durations():
    score = Score([Track([Note(0, 67, 480), Note(480, 69, 240), Note(1440, 71, 960)])])
    tokens = encode(grid_notes(score), (3, 4), "folk", end=True)
    assert names(tokens) == [
        "Style_folk", "Meter_3/4",
        "Bar", "Position_0", "Pitch_67", "Duration_4", "Position_4", "Pitch_69", "Duration_2",
        "Bar", "Position_0", "Pitch_71", "Duration_8",
        "End",
    ]  # fmt: skip


def test_chords_share_one_position_highest_pitch_first():
    tokens = encode(grid_notes(chords_and_rests()), (3, 4), "chorale")
    assert names(tokens)[2:8] == [
        "Bar", "Position_0", "Pitch_72", "Duration_4", "Pitch_60", "Duration_8",
    ]  # fmt: skip


def test_encode_then_decode_gives_the_same_notes_on_the_grid():
    score = chords_and_rests()
    notes = grid_notes(score)
    assert decode(encode(notes, score.time_signature, "chorale"), score.time_signature) == notes
    assert GridNote(32, 79, 4) in notes  # 3840 ticks = step 32 (bar 2); 470 ticks -> 4 steps
    assert GridNote(32, 55, 4) in notes  # 3850 ticks snaps to the same step


@pytest.mark.parametrize("slug", [s.slug for s in list_samples()])
def test_every_sample_melody_round_trips(slug):
    score = load_sample(slug)
    notes = grid_notes(score)
    tokens = encode(notes, score.time_signature, "folk")
    assert decode(tokens, score.time_signature) == notes
    assert len(notes) == score.note_count


def test_a_later_first_bar_counts_its_bars_from_zero():
    notes = [GridNote(0, 60, 4), GridNote(16, 62, 4), GridNote(36, 64, 4)]
    tokens = encode(notes, (4, 4), "folk", first_bar=1)
    assert decode(tokens, (4, 4)) == [GridNote(0, 62, 4), GridNote(20, 64, 4)]


def test_long_notes_are_cut_to_the_longest_duration():
    score = Score([Track([Note(0, 60, 480 * 40)])])
    assert grid_notes(score) == [GridNote(0, 60, MAX_DURATION)]


def test_every_meter_of_the_corpora_fits_and_odd_ones_are_refused():
    assert [bar_steps(m) for m in ((4, 4), (6, 8), (4, 1))] == [16, 12, 64]
    assert VOCAB.name(VOCAB.meter_token((7, 4))) == "Meter_other"
    with pytest.raises(ValueError, match="7/32 is not supported"):
        bar_steps((7, 32))
    with pytest.raises(ValueError, match="at most 64"):
        bar_steps((5, 1))


def test_token_names_cover_the_whole_vocabulary():
    seen = {VOCAB.name(t).split("_")[0] for t in range(VOCAB.size)}
    assert seen == {"Pad", "End", "Bar", "Style", "Meter", "Position", "Pitch", "Duration"}
    assert VOCAB.name(VOCAB.size - 1) == f"Duration_{MAX_DURATION}"


def test_pieces_are_tokenized_in_c():
    g_major = Score(
        [Track([Note(480 * i, p, 480) for i, p in enumerate((67, 71, 74, 72, 71, 67))])]
    )
    notes = grid_notes(g_major)
    assert key_shift(notes) == 5  # G up to C (not down 7)
    assert [n.pitch for n in transposed(notes, 5)] == [72, 76, 79, 77, 76, 72]
    d_minor = [GridNote(4 * i, p, 4) for i, p in enumerate((62, 65, 69, 62, 61, 62))]
    assert key_shift(d_minor) == -2
    piece = score_tokens(g_major, "folk")
    assert VOCAB.name(int(piece.tokens[4])) == "Pitch_72"


def test_the_frontier_follows_the_notes_across_bar_lines():
    notes = [GridNote(0, 60, 4), GridNote(4, 62, 14), GridNote(20, 64, 4)]
    tokens = encode(notes, (4, 4), "folk")
    frontier = frontier_features(tokens, (4, 4)).tolist()
    assert names(tokens)[6:10] == ["Position_4", "Pitch_62", "Duration_14", "Bar"]
    assert frontier[:6] == [0, 0, 0, 0, 0, 4]  # nothing before the first bar; then 0 + 4
    assert frontier[6:10] == [4, 4, 18, 2]  # 4 + 14 = 18, which is 2 into the next bar
    assert frontier[-1] == 8


def test_a_tail_window_keeps_style_and_meter_and_starts_at_a_bar():
    notes = [GridNote(4 * i, 60 + i % 5, 4) for i in range(40)]
    tokens = encode(notes, (4, 4), "folk")
    window = [tokens[i] for i in tail_indices(tokens, 50)]
    assert len(window) <= 50
    assert window[:3] == [*tokens[:2], VOCAB.BAR]
    assert window[2:] == tokens[len(tokens) - len(window) + 2 :]
    assert tail_indices(tokens, len(tokens)) == list(range(len(tokens)))


def run(grammar, tokens):
    for token in tokens:
        grammar.advance(token)
    return grammar


def allowed_names(grammar):
    return {VOCAB.name(int(t)) for t in np.flatnonzero(grammar.allowed())}


def test_the_grammar_alternates_position_pitch_duration():
    grammar = Grammar((4, 4), min_step=0, end_step=64, monophonic=False)
    run(grammar, [*encode([], (4, 4), "folk"), VOCAB.BAR])
    assert {"Bar", "Position_15"} <= allowed_names(grammar)
    grammar.advance(VOCAB.position + 4)
    assert allowed_names(grammar) == {f"Pitch_{p}" for p in range(128)}
    grammar.advance(VOCAB.pitch + 60)
    assert allowed_names(grammar) == {f"Duration_{d}" for d in range(1, MAX_DURATION + 1)}
    grammar.advance(VOCAB.duration + 3)
    after = allowed_names(grammar)
    assert {"Pitch_59", "Position_5"} <= after  # chords go downwards, time forwards
    assert not {"Pitch_60", "Position_4"} & after


def test_a_monophonic_continuation_waits_for_the_note_to_end_and_never_stacks():
    grammar = Grammar((4, 4), min_step=0, end_step=64, monophonic=True)
    run(grammar, [VOCAB.BAR, VOCAB.position + 2, VOCAB.pitch + 60, VOCAB.duration + 5])
    after = allowed_names(grammar)
    assert not any(name.startswith("Pitch") for name in after)
    assert "Position_8" in after
    assert "Position_7" not in after


def test_onsets_stay_inside_the_extension_and_the_grammar_ends_at_its_end():
    grammar = Grammar((3, 4), min_step=14, end_step=27, monophonic=True)
    prompt = [VOCAB.BAR, VOCAB.position + 0, VOCAB.pitch + 60, VOCAB.duration + 11, VOCAB.BAR]
    run(grammar, prompt)
    assert allowed_names(grammar) == {f"Position_{p}" for p in range(2, 12)} | {"Bar"}
    run(grammar, [VOCAB.BAR])  # bar 2 starts at step 24; the end is step 27
    assert allowed_names(grammar) == {"Position_0", "Position_1", "Position_2"}
    run(grammar, [VOCAB.position + 1, VOCAB.pitch + 62, VOCAB.duration + 1])
    assert allowed_names(grammar) == set()  # busy until step 27: complete


def test_a_chorale_continuation_keeps_its_voices_sounding():
    grammar = Grammar((4, 4), min_step=0, end_step=64, monophonic=False, voices=2)
    run(grammar, [VOCAB.BAR, VOCAB.position + 0, VOCAB.pitch + 67, VOCAB.duration + 7])
    assert allowed_names(grammar) == {f"Pitch_{p}" for p in range(67)}  # needs a 2nd voice
    run(grammar, [VOCAB.pitch + 60, VOCAB.duration + 3])
    # both voices sound: no third, and the next onset comes when the lower one ends
    assert allowed_names(grammar) == {"Position_4"}
    grammar.advance(VOCAB.position + 4)
    assert "Pitch_67" not in allowed_names(grammar)  # the upper voice still sounds
    run(grammar, [VOCAB.pitch + 62, VOCAB.duration + 7])
    assert allowed_names(grammar) == {"Position_8"}
    run(grammar, [VOCAB.position + 8, VOCAB.pitch + 65, VOCAB.duration + 7])
    assert allowed_names(grammar) == {"Position_12"}  # where the 62 from step 4 ends
    run(grammar, [VOCAB.position + 12, VOCAB.pitch + 60, VOCAB.duration + 3])
    assert allowed_names(grammar) == {"Bar"}  # both voices end at the bar line


def test_a_voice_that_ends_on_the_bar_line_re_enters_on_the_downbeat():
    grammar = Grammar((4, 4), min_step=0, end_step=64, monophonic=False, voices=2)
    run(grammar, [VOCAB.BAR, VOCAB.position + 0, VOCAB.pitch + 67, VOCAB.duration + 19])
    run(grammar, [VOCAB.pitch + 60, VOCAB.duration + 15])  # ends on the bar line
    assert allowed_names(grammar) == {"Bar"}
    grammar.advance(VOCAB.BAR)
    assert allowed_names(grammar) == {"Position_0"}  # not later: the lower voice is silent
