"""Training code of the bundled model (models/clip-mini): a small CLIP trained on the synthetic catalog."""
