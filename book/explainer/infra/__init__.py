"""No teaching of its own: caches, input checks, neighbour maths, projections, rendering, reproducibility, data."""
