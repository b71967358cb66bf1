"""``Budget``: what one prediction and the whole fit may cost, in seconds."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

from features.errors import OmniError


@dataclass(frozen=True)
class Budget:
    """``query_seconds``: the most one prediction may cost, its features included.
    ``init_seconds``: the most fitting may cost, training the training architectures included."""

    query_seconds: float = math.inf
    init_seconds: float = math.inf

    def __post_init__(self) -> None:
        for name in ("query_seconds", "init_seconds"):
            value = getattr(self, name)
            if not isinstance(value, int | float) or math.isnan(value) or value < 0:
                raise OmniError(
                    f"Budget.{name} must be a non-negative number of seconds, got {value!r}"
                )

    def to_dict(self) -> dict:
        return {k: (None if math.isinf(v) else v) for k, v in asdict(self).items()}

    @classmethod
    def from_dict(cls, data: dict) -> Budget:
        return cls(**{k: (math.inf if v is None else float(v)) for k, v in data.items()})
