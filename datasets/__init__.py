"""Demo data in the sources' real formats, and the generator that writes it.

``python -m datasets.generate --scale demo --out datasets/demo`` rewrites the
committed copy; ``--scale national`` writes national-size files for benchmarks.
"""
