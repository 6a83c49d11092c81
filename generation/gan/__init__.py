"""The GAN: accompaniment for a melody (model, training, decoding, styles, baseline and
quality report)."""
