"""What several chapters use: shared figures, noise floors, predict-then-reveal, the live panels and the browser's model."""
