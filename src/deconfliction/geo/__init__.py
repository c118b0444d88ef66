"""Geometry on WGS84: GeoJSON footprints in, prepared shapes, index boxes, the exact test."""

from deconfliction.domain.limits import MAX_ACROSS_M, MAX_RADIUS_M, MAX_VERTICES
from deconfliction.geo.box import Box4
from deconfliction.geo.distance import within
from deconfliction.geo.geojson import parse_footprints
from deconfliction.geo.shape import Shape, prepare

__all__ = [
    "Box4",
    "MAX_ACROSS_M",
    "MAX_RADIUS_M",
    "MAX_VERTICES",
    "Shape",
    "parse_footprints",
    "prepare",
    "within",
]
