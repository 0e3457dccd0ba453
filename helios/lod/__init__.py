"""Levels of detail: a cell's brightest stars as points and the light of the rest in a few Gaussians.

``ladder``: the levels and their sizes; ``cluster``: the untrained Gaussians (luminosity-weighted
k-means, moment matched); ``compare``: how a level's images compare with every star as a point.
"""
