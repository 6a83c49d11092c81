"""The Transformer: a track extended (tokens, model, training, sampling, the Markov
baseline and quality report)."""
