"""handouts: one-page home-exercise sheets for physical therapy patients."""

__version__ = "0.1.0"
