"""Geometry on WGS84: GeoJSON footprints in, prepared shapes, index boxes, the exact test."""

from deconfliction.geo.distance import within
from deconfliction.geo.geojson import MAX_ACROSS_M, MAX_RADIUS_M, MAX_VERTICES, parse_footprints
from deconfliction.geo.shape import Shape, prepare

__all__ = [
    "MAX_ACROSS_M",
    "MAX_RADIUS_M",
    "MAX_VERTICES",
    "Shape",
    "parse_footprints",
    "prepare",
    "within",
]
