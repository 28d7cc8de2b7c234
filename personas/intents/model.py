"""The shipped intent model: a linear classifier over `features.message_features`, scored in plain
Python from a JSON weight table (personas/intents/intent_model.json, written by
`python -m personas.intents.train`). No numpy or scikit-learn at runtime: loading takes a few
milliseconds and scoring a message tens of microseconds.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from personas.intents.features import message_features

MODEL_PATH = Path(__file__).resolve().parent / "intent_model.json"
MODEL_FORMAT = 1


@dataclass(frozen=True)
class IntentModel:
    labels: tuple[str, ...]
    bias: tuple[int, ...]
    weights: dict[str, list[int]]  # feature -> one weight per label, in units of 1/scale
    scale: int
    # Below this probability the model's best label is not trusted (chosen by the training command
    # from cross-validation on the training split; see docs/intents.md).
    min_confidence: float
    fallback_label: str

    def predict(self, normalized: str) -> tuple[str, float]:
        """(best label, its softmax probability) for a normalized message."""
        weights = self.weights
        rows = [weights[f] for f in set(message_features(normalized)) if f in weights]
        scores = [sum(column) for column in zip(self.bias, *rows)]
        top = max(scores)
        scale = self.scale
        exps = [math.exp((score - top) / scale) for score in scores]
        best = scores.index(top)
        return self.labels[best], 1.0 / sum(exps)  # exps[best] == 1


def model_from_dict(data: dict) -> IntentModel:
    if data.get("format") != MODEL_FORMAT:
        raise ValueError(f"intent model format {data.get('format')!r} is not {MODEL_FORMAT}")
    labels = tuple(data["labels"])
    weights = data["weights"]
    if any(len(row) != len(labels) for row in weights.values()) or len(data["bias"]) != len(labels):
        raise ValueError("intent model weights do not have one column per label")
    return IntentModel(labels=labels, bias=tuple(data["bias"]), weights=weights, scale=int(data["scale"]),
                       min_confidence=float(data["min_confidence"]), fallback_label=data["fallback_label"])


@lru_cache(maxsize=1)
def shipped_model() -> IntentModel:
    return model_from_dict(json.loads(MODEL_PATH.read_text(encoding="utf-8")))
