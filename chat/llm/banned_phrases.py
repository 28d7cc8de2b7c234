"""Detection of a persona spec's banned phrases in a reply (trace field `banned_phrase_hits`)."""

from __future__ import annotations

from collections.abc import Iterable


def normalize_for_matching(text: str) -> str:
    """Casefold and collapse whitespace runs, so "Great  question!" matches "great question!"."""
    return " ".join(text.split()).casefold()


def find_banned_phrases(reply: str, banned_phrases: Iterable[str]) -> list[str]:
    """The banned phrases that occur in `reply`, as written in the spec, in input order.

    Matching is a case-insensitive substring test after whitespace normalisation. A phrase listed
    twice (in any casing or spacing) is reported once, spelled as its first occurrence. Blank
    phrases are ignored: they would match every reply.
    """
    haystack = normalize_for_matching(reply)
    hits: list[str] = []
    seen: set[str] = set()
    for phrase in banned_phrases:
        needle = normalize_for_matching(phrase)
        if needle and needle not in seen and needle in haystack:
            hits.append(phrase)
        seen.add(needle)
    return hits
