"""HELIOS: a star catalogue turned into a trained 3-D universe of Gaussian splats."""

__version__ = "0.1.0"
