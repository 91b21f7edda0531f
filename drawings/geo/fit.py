"""The similarity (Helmert, 4-parameter) transform from drawing to ground, by least squares.

``X = a·x − b·y + tx``, ``Y = b·x + a·y + ty``: scale ``hypot(a, b)``, rotation
``atan2(b, a)``.  Two control points fix it exactly; more are adjusted and each one's residual
(metres on the ground) says how well the drawing agrees with the survey.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from storage.errors import InvalidInput

Point = tuple[float, float]


@dataclass(frozen=True)
class Similarity:
    a: float
    b: float
    tx: float
    ty: float

    @property
    def scale(self) -> float:
        return math.hypot(self.a, self.b)

    @property
    def rotation(self) -> float:
        """Degrees, counter-clockwise from drawing x to ground east."""
        return math.degrees(math.atan2(self.b, self.a))

    def apply(self, xy: np.ndarray) -> np.ndarray:
        xy = np.asarray(xy, dtype=float).reshape(-1, 2)
        x, y = xy[:, 0], xy[:, 1]
        return np.column_stack([self.a * x - self.b * y + self.tx,
                                self.b * x + self.a * y + self.ty])

    def to_dict(self) -> dict[str, float]:
        return {"a": self.a, "b": self.b, "tx": self.tx, "ty": self.ty,
                "scale": self.scale, "rotation": self.rotation}


@dataclass(frozen=True)
class Fit:
    transform: Similarity
    residuals: list[float]  # metres, one per control point

    @property
    def rms(self) -> float:
        return math.sqrt(sum(r * r for r in self.residuals) / len(self.residuals))

    @property
    def max_residual(self) -> float:
        return max(self.residuals)

    @property
    def worst(self) -> int:
        """Index of the control point with the largest residual."""
        return self.residuals.index(self.max_residual)


def fit_similarity(drawing: list[Point], ground: list[Point]) -> Fit:
    """Least-squares similarity taking ``drawing`` points onto ``ground`` points (metres)."""
    if len(drawing) != len(ground):
        raise InvalidInput("控制点 control points: as many drawing as ground points")
    if len(drawing) < 2:
        raise InvalidInput("控制点不足 at least two control points are needed")
    d = np.asarray(drawing, dtype=float)
    g = np.asarray(ground, dtype=float)
    if not (np.isfinite(d).all() and np.isfinite(g).all()):
        raise InvalidInput("控制点 control points must be finite numbers")
    # centre both sets: better conditioned for survey coordinates in the millions
    dc, gc = d.mean(axis=0), g.mean(axis=0)
    dd, gg = d - dc, g - gc
    spread = float((dd ** 2).sum())
    if spread <= 1e-18 * max(1.0, float((d ** 2).sum())):
        raise InvalidInput("控制点重合 the drawing control points coincide: no transform")
    a = float((dd[:, 0] * gg[:, 0] + dd[:, 1] * gg[:, 1]).sum()) / spread
    b = float((dd[:, 0] * gg[:, 1] - dd[:, 1] * gg[:, 0]).sum()) / spread
    if a == 0 and b == 0:
        raise InvalidInput("控制点 the ground control points coincide: no transform")
    tx = float(gc[0] - (a * dc[0] - b * dc[1]))
    ty = float(gc[1] - (b * dc[0] + a * dc[1]))
    t = Similarity(a, b, tx, ty)
    res = np.hypot(*(t.apply(d) - g).T)
    return Fit(t, [float(r) for r in res])
