"""Each chapter's own code: its figures, measures and live panel. Chapters do not import each other."""
