"""Train the intent model and write the weight table the runtime scores.

    .venv/bin/python -m personas.intents.train            # writes personas/intents/intent_model.json
    .venv/bin/python -m personas.intents.train --check    # exit 1 if the shipped table differs

A development tool: it needs scikit-learn (requirements-dev.txt), the service does not. It reads only
the `train` split of the labelled set; the `heldout` split is for measuring (tests, `make bench`).

Model: multinomial logistic regression on binary features (`features.message_features`), L2, C=10.
The confidence floor and the fallback label are chosen here too, by 5-fold cross-validation of the
whole classifier (rules, then model) on the training split, so the held-out split never tunes anything.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

from personas.intents.features import message_features, normalize
from personas.intents.model import MODEL_FORMAT, MODEL_PATH
from personas.intents.rules import rule_label
from personas.spec import INTENT_LABELS

REPO_ROOT = Path(__file__).resolve().parents[2]
DATA_PATH = REPO_ROOT / "tests/personas/data/intents.jsonl"

C = 10.0
# Weights this small change no probability by more than a rounding error; dropping them keeps the
# table small enough to load in milliseconds.
PRUNE_BELOW = 0.02
# Weights are stored as integers in thousandths: integers parse about three times faster than floats
# from JSON, which is most of the table's load time.
SCALE = 1000
FLOOR_CANDIDATES = (0.0, 0.2, 0.25, 0.3, 0.35, 0.4)
FALLBACK_CANDIDATES = ("advice_or_stance", "ambiguity_or_clarify")


def load_examples(path: Path = DATA_PATH, split: str | None = None) -> list[dict]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [row for row in rows if split is None or row["split"] == split]


def _analyzer(text: str) -> list[str]:
    return message_features(normalize(text))


def _fit(texts: list[str], labels: list[str]):
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.linear_model import LogisticRegression

    vectorizer = CountVectorizer(analyzer=_analyzer, binary=True)
    matrix = vectorizer.fit_transform(texts)
    classifier = LogisticRegression(C=C, max_iter=10_000)
    classifier.fit(matrix, labels)
    return vectorizer, classifier


def _table(vectorizer, classifier) -> tuple[list[float], dict[str, list[float]]]:
    # Columns in taxonomy order, whatever order scikit-learn sorted the classes in.
    order = [list(classifier.classes_).index(label) for label in INTENT_LABELS]
    bias = [round(float(classifier.intercept_[i]) * SCALE) for i in order]
    weights = {}
    for feature, column in sorted(vectorizer.vocabulary_.items()):
        row = [float(classifier.coef_[i, column]) for i in order]
        if max(abs(w) for w in row) >= PRUNE_BELOW:
            weights[feature] = [round(w * SCALE) for w in row]
    return bias, weights


def _choose_floor(texts: list[str], labels: list[str]) -> tuple[float, str, float]:
    """(confidence floor, fallback label, cross-validated accuracy) of the best combination."""
    from sklearn.model_selection import StratifiedKFold

    from personas.intents.model import model_from_dict

    predictions = []  # (true label, rule label or None, model label, model confidence)
    for train_index, test_index in StratifiedKFold(5, shuffle=True, random_state=0).split(texts, labels):
        vectorizer, classifier = _fit([texts[i] for i in train_index], [labels[i] for i in train_index])
        bias, weights = _table(vectorizer, classifier)
        model = model_from_dict({"format": MODEL_FORMAT, "labels": list(INTENT_LABELS), "scale": SCALE,
                                 "bias": bias, "weights": weights, "min_confidence": 0, "fallback_label": INTENT_LABELS[0]})
        for i in test_index:
            normalized = normalize(texts[i])
            predictions.append((labels[i], rule_label(normalized), *model.predict(normalized)))
    best = None
    for floor in FLOOR_CANDIDATES:
        for fallback in FALLBACK_CANDIDATES:
            correct = sum(
                truth == (ruled or (label if confidence >= floor else fallback))
                for truth, ruled, label, confidence in predictions
            )
            accuracy = correct / len(predictions)
            # Ties go to the lower floor: fall back only when it measurably helps.
            if best is None or accuracy > best[2]:
                best = (floor, fallback, accuracy)
    return best


def train(path: Path = DATA_PATH) -> dict:
    examples = load_examples(path, "train")
    texts, labels = [row["text"] for row in examples], [row["label"] for row in examples]
    floor, fallback, cv_accuracy = _choose_floor(texts, labels)
    bias, weights = _table(*_fit(texts, labels))
    return {
        "format": MODEL_FORMAT,
        "labels": list(INTENT_LABELS),
        "scale": SCALE,
        "min_confidence": floor,
        "fallback_label": fallback,
        "trained_on": {
            "data": str(path.relative_to(REPO_ROOT)) if path.is_relative_to(REPO_ROOT) else str(path),
            "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
            "examples": len(examples),
            "cross_validated_accuracy": round(cv_accuracy, 3),
            "model": f"logistic regression, C={C}, binary word/pair/char-4-gram features",
        },
        "bias": bias,
        "weights": weights,
    }


def dumps(table: dict) -> str:
    # One feature per line: diffs of a retrained model stay readable.
    head = {key: value for key, value in table.items() if key != "weights"}
    lines = [json.dumps(feature, ensure_ascii=False) + ": " + json.dumps(row) for feature, row in table["weights"].items()]
    body = json.dumps(head, indent=1, ensure_ascii=False)[:-2]
    return body + ',\n "weights": {\n' + ",\n".join(lines) + "\n }\n}\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA_PATH)
    parser.add_argument("--out", type=Path, default=MODEL_PATH)
    parser.add_argument("--check", action="store_true", help="compare with --out instead of writing it")
    args = parser.parse_args(argv)
    text = dumps(train(args.data))
    if args.check:
        same = args.out.exists() and args.out.read_text(encoding="utf-8") == text
        print(f"{args.out}: {'up to date' if same else 'DIFFERS from a fresh training run'}")
        return 0 if same else 1
    args.out.write_text(text, encoding="utf-8")
    table = json.loads(text)
    print(f"wrote {args.out}: {len(table['weights'])} features, floor {table['min_confidence']}, "
          f"fallback {table['fallback_label']}, cross-validated accuracy {table['trained_on']['cross_validated_accuracy']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
