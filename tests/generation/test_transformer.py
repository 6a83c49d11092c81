"""The Transformer on tiny configs: training, the cache, checkpoints, and the extension's rules."""

import itertools

import numpy as np
import pytest
import torch

from generation.checkpoint import load_checkpoint, save_checkpoint
from generation.errors import GenerationInputError, GenerationParamError
from generation.registry import TRANSFORMER_PARAMS
from generation.training import TrainOptions, adamw, clip_and_step
from generation.transformer.extension import (
    Sampling,
    beat_ticks,
    extend,
    plan_extension,
    probabilities,
)
from generation.transformer.markov import MarkovChain, sampler_factory
from generation.transformer.model import (
    DEEPCOMPOSER_CONFIG,
    CachedSampler,
    KVCache,
    MusicTransformer,
    TransformerConfig,
    build,
    continue_with,
    scored_windows,
    sequence_log_probs,
)
from generation.transformer.tokens import (
    VOCAB,
    decode,
    grid_notes,
    key_shift,
    score_tokens,
    tail_indices,
)
from generation.transformer.training import PackedRows, batch_loss
from music.catalogue import load_sample
from music.score import Note, Score, Track

TINY = TransformerConfig(context=64, n_layer=2, n_head=2, d_model=32, dropout=0.0)
PARAMS = TRANSFORMER_PARAMS.defaults()


pytestmark = pytest.mark.usefixtures("one_thread")


def model(config=TINY, seed=0):
    torch.manual_seed(seed)
    return MusicTransformer(config).eval()


def melody(bars=4, tempo=100.0, program=0, meter=(4, 4), resolution=480):
    beats = bars * meter[0] * 4 // meter[1]
    size = resolution * 4 // meter[1]
    notes = [Note(i * size, 60 + (0, 2, 4, 5, 7, 5, 4, 2)[i % 8], size, 90) for i in range(beats)]
    return Score(
        [Track(notes, program=program, name="Lead")],
        resolution=resolution,
        tempo=tempo,
        time_signature=meter,
    )


def chorale(bars=4):
    voices = [
        Track([Note(i * 480, p + (i % 3), 480) for i in range(4 * bars)], name=name)
        for p, name in ((72, "S"), (67, "A"), (60, "T"), (48, "B"))
    ]
    return Score(voices, resolution=480)


def extended(score, seed=0, net=None, **params):
    return continue_with(net or model(), score, {**PARAMS, **params}, seed)


def test_sizes_ours_and_deepcomposers():
    ours = sum(p.numel() for p in build(TransformerConfig()).parameters())
    theirs = sum(p.numel() for p in build(DEEPCOMPOSER_CONFIG).parameters())
    assert 1e6 < ours < 2.5e6  # about 4 MB in fp16
    assert theirs > 5 * ours


def test_a_tiny_model_learns_and_its_loss_falls():
    torch.manual_seed(0)
    net = MusicTransformer(TINY)
    pieces = {"folk": [score_tokens(load_sample(s), "folk") for s in ("ode-to-joy", "kuckuck")]}
    rows = PackedRows(TINY, pieces)
    batch = rows.batch(4, np.random.default_rng(0))
    options = TrainOptions(lr=3e-3, weight_decay=0.0)
    optimizer = adamw(net, options)
    net.train()
    losses = []
    for _ in range(15):
        loss = batch_loss(net, batch)
        clip_and_step(net, optimizer, loss, options)
        losses.append(loss.item())
    assert losses[-1] < 0.7 * losses[0]


def test_packed_pieces_do_not_see_each_other_and_restart_their_positions():
    pieces = {"folk": [score_tokens(melody(bars=2), "folk")]}  # 28 tokens a piece
    batch = PackedRows(TINY, pieces).batch(1, np.random.default_rng(0))
    positions = batch.positions[0].tolist()
    second = positions.index(0, 1)
    assert positions[second - 1] == second - 1
    assert not batch.mask[0, 0, second, second - 1]  # the second piece cannot look back
    assert batch.mask[0, 0, second + 3, second]
    assert batch.targets[0, second - 1] == -100  # nothing is predicted across the seam
    assert batch.targets[0, second] == -100  # the meter is given, not predicted


def forward(net, piece, stop=None):
    """The full forward pass over a piece's first ``stop`` tokens: (T, vocab)."""
    tokens = torch.from_numpy(piece.tokens[:stop]).unsqueeze(0)
    frontier = torch.from_numpy(piece.features[:stop]).unsqueeze(0)
    with torch.no_grad():
        return net(tokens, frontier)[0]


def test_cached_sampling_gives_the_logits_of_the_full_forward_pass():
    net = model()
    piece = score_tokens(melody(bars=3), "folk")
    tokens = piece.tokens.tolist()[:40]
    full = forward(net, piece, 40)
    sampler = CachedSampler(net, prompt_share=1.0)
    first = sampler.start(tokens[:10], (4, 4))
    assert first == pytest.approx(full[9].double().numpy(), abs=1e-4)
    for j in range(10, 40):
        step = sampler.step(tokens[j])
        assert step == pytest.approx(full[j].double().numpy(), abs=1e-4)


def test_the_cache_is_rebuilt_from_a_bar_line_when_the_context_is_full():
    net = model()
    piece = score_tokens(melody(bars=16), "folk")
    tokens = piece.tokens.tolist()
    sampler = CachedSampler(net)
    sampler.start(tokens[:40], (4, 4))
    for j in range(40, len(tokens)):
        before = sampler.cache.length
        logits = sampler.step(tokens[j])
        if sampler.cache.length <= before:  # rebuilt from the last half, at a bar line
            break
    kept = tail_indices(tokens[: j + 1], TINY.context // 2)
    assert tokens[kept[2]] == VOCAB.BAR
    assert sampler.cache.length == len(kept)
    window = score_tokens(melody(bars=16), "folk")
    window.tokens, window.features = piece.tokens[kept], piece.features[kept]
    assert logits == pytest.approx(forward(net, window)[-1].double().numpy(), abs=1e-4)
    assert sampler.features == piece.features[: j + 1].tolist()


def test_whole_piece_scoring_counts_every_token_once():
    piece = score_tokens(melody(bars=12), "folk")
    tokens = piece.tokens.tolist()
    windows = scored_windows(tokens, 64)
    assert sum(stop - first for _, first, stop in windows) == len(tokens) - 2
    assert all(len(indices) <= 64 for indices, _, _ in windows)
    net = model()
    short = score_tokens(melody(bars=12), "folk")
    short.tokens, short.features = short.tokens[:30], short.features[:30]
    batched = sequence_log_probs(net, [piece, short], batch_size=3)
    assert [len(b) for b in batched] == [len(tokens) - 2, 28]
    full = torch.log_softmax(forward(net, piece, 30).double(), dim=-1)
    assert batched[1] == pytest.approx(full[torch.arange(1, 29), tokens[2:30]].numpy())
    assert batched[0][:28] == pytest.approx(batched[1])


def test_checkpoint_round_trip_gives_identical_output(tmp_path):
    net = model()
    save_checkpoint(net, TINY, tmp_path / "t.pt", half=True)
    loaded, config, _ = load_checkpoint(tmp_path / "t.pt", TransformerConfig, build)
    assert config == TINY
    for tensor in net.state_dict().values():
        tensor.copy_(tensor.half().float())  # what fp16 storage keeps
    assert extended(melody(), net=net).tracks == extended(melody(), net=loaded).tracks


def test_same_seed_same_output_different_seed_different():
    a, b, c = (extended(melody(), seed=s) for s in (7, 7, 8))
    assert a.tracks == b.tracks
    assert a.tracks != c.tracks


@pytest.mark.parametrize(
    ("meter", "tempo", "seconds", "beats"),
    [((4, 4), 100.0, 20, 33), ((3, 4), 90.0, 7, 11), ((6, 8), 120.0, 30, 120), ((2, 2), 60, 1, 1)],
)
def test_the_output_is_the_input_and_exactly_the_extension(meter, tempo, seconds, beats):
    given = melody(bars=3, tempo=tempo, program=41, meter=meter)
    given.tracks[0].notes[-1] = Note(given.tracks[0].notes[-1].start, 65, 100, 90)  # ends early
    out = extended(given, extension_duration=seconds)
    start = int(np.ceil(given.end_tick / beat_ticks(given)) * beat_ticks(given))
    assert out.end_tick == start + beats * beat_ticks(given)
    assert (out.tempo, out.time_signature) == (given.tempo, meter)
    assert [(t.program, t.name) for t in out.tracks] == [(41, "Lead")]
    new = [n for n in out.tracks[0].notes if n not in given.tracks[0].notes]
    assert out.tracks[0].notes[: given.note_count] == given.tracks[0].notes
    assert new
    assert min(n.start for n in new) >= start
    assert {n.velocity for n in new} == {90}


def test_a_melody_is_continued_by_one_note_at_a_time():
    for seed in range(3):
        out = extended(melody(), seed=seed, creative_risk=3.0, sampling_threshold=50)
        notes = out.tracks[0].notes
        assert all(a.end <= b.start for a, b in itertools.pairwise(notes))


def sounding_at_new_onsets(given, out):
    new = set(out.all_notes()) - set(given.all_notes())
    assert new
    return {sum(n.start <= t < n.end for n in out.all_notes()) for t in {n.start for n in new}}


def test_chords_are_continued_in_as_many_voices_as_the_input_has():
    given = chorale()
    plan = plan_extension(given, input_duration=30, extension_duration=10)
    assert (plan.monophonic, plan.style, plan.voices) == (False, "chorale", 4)
    assert max(sounding_at_new_onsets(given, extended(given, creative_risk=2.0))) <= 4
    chain = MarkovChain.fit([plan.prompt])  # writes chords from the top down, as trained
    greedy = {**PARAMS, "sampling_threshold": 1, "extension_duration": 10}
    assert sounding_at_new_onsets(given, extend(given, greedy, 0, sampler_factory(chain))) == {4}


def test_the_texture_can_be_asked_for():
    assert not plan_extension(
        melody(), input_duration=5, extension_duration=5, texture="polyphonic"
    ).monophonic
    assert plan_extension(
        chorale(), input_duration=5, extension_duration=5, texture="monophonic"
    ).monophonic


def test_the_prompt_starts_at_a_bar_line_input_duration_before_the_end():
    given = melody(bars=8, tempo=120)  # 2 s a bar
    plan = plan_extension(given, input_duration=5, extension_duration=5)
    assert plan.first_bar == 5  # the end is at 16 s; 11 s falls in bar 5
    assert plan.prompt.count(VOCAB.BAR) == 3


def test_a_low_input_is_moved_into_the_models_range_and_its_continuation_back():
    low = melody(bars=2)
    low.tracks[0].notes = [Note(n.start, n.pitch - 36, n.duration, 90) for n in low.tracks[0].notes]
    plan = plan_extension(low, input_duration=30, extension_duration=5)
    assert plan.shift % 12 == key_shift(grid_notes(low)) % 12  # into C, then by octaves
    assert all(30 <= n.pitch < 100 for n in decode(plan.prompt, (4, 4)))
    chain = MarkovChain.fit([plan.prompt])  # knows only the prompt's (shifted) pitches
    greedy = {**PARAMS, "sampling_threshold": 1, "extension_duration": 5}
    out = extend(low, greedy, 0, sampler_factory(chain))
    new = out.tracks[0].notes[low.note_count :]
    assert new
    assert {n.pitch for n in new} <= {n.pitch for n in low.tracks[0].notes}


def test_an_unsupported_meter_is_refused_clearly():
    with pytest.raises(GenerationInputError, match="7/32 is not supported"):
        extended(melody(bars=1, meter=(7, 32)))


def test_a_coarse_resolution_still_ends_exactly_on_the_beat():
    given = melody(bars=2, resolution=2)
    out = extended(given, extension_duration=3)
    assert out.end_tick == given.end_tick + 5 * 2  # 3 s at 100 bpm = 5 beats


def test_the_markov_baseline_extends_through_the_same_plan():
    tokens = [score_tokens(melody(bars=4), "folk").tokens]
    chain = MarkovChain.fit(tokens)
    out = extend(melody(), {**PARAMS, "extension_duration": 5}, 0, sampler_factory(chain))
    assert out.end_tick == melody().end_tick + 8 * 480


@pytest.mark.parametrize(
    ("values", "message"),
    [
        (
            {"sampling_technique": "top-k", "sampling_threshold": 0.9},
            r"With top-k sampling, sampling_threshold is the number of candidates k and must be "
            r"a whole number between 1 and 100, not 0\.9\.",
        ),
        (
            {"sampling_technique": "nucleus", "sampling_threshold": 5},
            r"With nucleus sampling, sampling_threshold is the probability mass p and must be "
            r"greater than 0 and at most 1, not 5\.",
        ),
        (
            {"sampling_technique": "nucleus", "sampling_threshold": 0},
            r"greater than 0 and at most 1, not 0\.",
        ),
        ({"extension_duration": 31}, r"Extension duration must be between 1 and 30, not 31\."),
        ({"creative_risk": 0.1}, r"Creative risk must be between 0\.5 and 6, not 0\.1\."),
        ({"sampling_technique": "beam"}, r"must be one of 'top-k' or 'nucleus', not 'beam'\."),
        ({"texture": "dense"}, r"Texture must be one of 'auto', 'monophonic' or 'polyphonic'"),
    ],
)
def test_parameters_are_validated_with_messages_that_name_them(values, message):
    with pytest.raises(GenerationParamError, match=message):
        TRANSFORMER_PARAMS.validate(values)


def test_valid_thresholds_for_each_technique_pass():
    assert TRANSFORMER_PARAMS.validate({"sampling_technique": "nucleus", "sampling_threshold": 1})
    assert TRANSFORMER_PARAMS.validate({"sampling_technique": "top-k", "sampling_threshold": "12"})


def test_top_k_and_nucleus_keep_the_likeliest_allowed_tokens():
    logits = np.log(np.array([0.05, 0.5, 0.2, 0.15, 0.1]))
    allowed = np.array([True, True, False, True, True])
    top2 = probabilities(logits, allowed, Sampling("top-k", 2, 1.0))
    assert np.flatnonzero(top2).tolist() == [1, 3]
    nucleus = probabilities(logits, allowed, Sampling("nucleus", 0.7, 1.0))
    assert np.flatnonzero(nucleus).tolist() == [1, 3]  # 0.5/0.8 < 0.7 <= (0.5+0.15)/0.8
    hot = probabilities(logits, allowed, Sampling("nucleus", 1.0, 6.0))
    assert hot[0] > 0.1
    assert hot[2] == 0
    assert hot.sum() == pytest.approx(1.0)


def test_the_cache_holds_the_whole_context():
    cache = KVCache(TINY)
    assert cache.keys[0].shape == (1, TINY.n_head, TINY.context, TINY.d_model // TINY.n_head)
