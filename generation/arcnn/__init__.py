"""The AR-CNN: Bach-style note edits (model, training, editing, quality report)."""
