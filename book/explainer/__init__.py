"""The book's code, by role: the chapters' own code, the tools several chapters share, and the infrastructure.

Each folder imports only from the folders below it (``make lint`` checks it, pyproject.toml's contracts):

    chapters/   each chapter's figures, measures and live panel
    teaching/   what several chapters use: figures, noise floors, predict-then-reveal, the live panels' frame
    ../helpers.py   the core every chapter imports: the model, embeddings, similarity, projections
    infra/      no teaching of its own: caches, checks, neighbour maths, projections, rendering, the book's data
"""
