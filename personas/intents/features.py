"""The features the intent model scores: one definition for training and for inference.

The training command hands `message_features` to scikit-learn as its analyzer, and the runtime looks
the same strings up in the shipped weight table, so the two can never drift apart.

Why these features:
- words and word pairs carry the request ("forge … signature", "send the", "what was");
- the first word and the first pair are separate features, because the opening is where a message
  says what kind of thing it is ("send …", "should we …", "hi …");
- character 4-grams inside words survive typos and inflections ("summarise"/"summarize",
  "rewrite"/"rewriting");
- a length bucket and a question-mark flag let the model learn that "and the second option?" is a
  follow-up that refers back, not a question with a topic.
"""

from __future__ import annotations

import re

# Typographic apostrophes would otherwise split "don’t" differently from "don't".
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'"})
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")

# The ask in a long message sits at its start or its end ("Summarize this: <paste>", "<paste> Is
# this right?"), so only those are read. The window keeps a 50 KB paste as cheap as a paragraph.
HEAD_CHARS = 600
TAIL_CHARS = 400

CHAR_NGRAM = 4


def normalize(message: str) -> str:
    """Lowercased, typographic apostrophes made ASCII, long messages cut to their head and tail."""
    text = message.strip()
    if len(text) > HEAD_CHARS + TAIL_CHARS:
        text = f"{text[:HEAD_CHARS]}\n\n{text[-TAIL_CHARS:]}"
    return text.translate(_APOSTROPHES).lower()


def has_words(normalized: str) -> bool:
    return _WORD.search(normalized) is not None


def message_features(normalized: str) -> list[str]:
    """The feature strings of a normalized message (repeats allowed; the model counts presence)."""
    words = _WORD.findall(normalized)
    count = len(words)
    features = [_length_bucket(count)]
    if normalized.endswith("?"):
        features.append("?")
    if not words:
        return features
    features.append("^" + words[0])
    if count > 1:
        features.append(f"^{words[0]} {words[1]}")
    features += words
    features += [f"{a} {b}" for a, b in zip(words, words[1:])]
    n = CHAR_NGRAM
    for word in words:
        padded = f" {word} "
        if len(padded) > n:
            features += [padded[i:i + n] for i in range(len(padded) - n + 1)]
    return features


def _length_bucket(count: int) -> str:
    if count <= 2:
        return f"#{count}"
    if count <= 4:
        return "#3-4"
    if count <= 8:
        return "#5-8"
    return "#9+"
