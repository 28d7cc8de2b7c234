"""Finding a spec's banned phrases in a reply: one definition for the trace's `banned_phrase_hits`
and the compliance rule `banned_phrase`.

A phrase occurs in a reply when, after both are normalised (whitespace runs collapsed to one space,
casefolded), the phrase appears with word boundaries where it starts or ends with a letter, digit or
underscore: "AI" is found in "As an AI, I…" but not in "said"; "Great question!" is found in
"great   QUESTION!!" (it ends with "!", so nothing is required after it).

Plain Python, no Django.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence, Set
from dataclasses import dataclass
from typing import NamedTuple

_WORD = re.compile(r"\w+")


def _is_word_char(char: str) -> bool:
    return char.isalnum() or char == "_"  # what `\w` matches (re docs)


# Characters that separate words: ASCII non-word characters, plus the typographic punctuation language
# models like to produce. Mapped to spaces, they let `words_of` split ASCII text without a regex.
SEPARATORS = str.maketrans(
    {
        **{code: " " for code in range(128) if not _is_word_char(chr(code))},
        **{ord(char): " " for char in "\u00a0\u2018\u2019\u201a\u201c\u201d\u201e\u2013\u2014\u2026\u2022\u00b7\u00ab\u00bb"},
    }
)


# The same but for line breaks, which it keeps: text joined with "\n" can be blanked in one pass and
# then cut back into its parts (`str.split()` takes a line break for a space anyway).
SEPARATORS_BUT_LINE_BREAKS = {code: blank for code, blank in SEPARATORS.items() if code != ord("\n")}


def normalize_for_matching(text: str) -> str:
    """Casefold and collapse whitespace runs, so "Great  question!" matches "great question!"."""
    return " ".join(text.split()).casefold()


def words_of(casefolded: str) -> list[str]:
    """The `\\w+` runs of already casefolded text, in order: exactly `re.findall(r"\\w+", text)`,
    through `str.split` when the text is ASCII once punctuation is blanked (five times faster)."""
    blanked = casefolded.translate(SEPARATORS)
    return blanked.split() if blanked.isascii() else _WORD.findall(casefolded)


def occurs(needle: str, haystack: str) -> bool:
    """Whether normalised `needle` occurs in normalised `haystack` with a word boundary on each side of
    it that is a word character: no letter, digit or underscore right before or after it there."""
    last = len(haystack)
    check_start, check_end = _is_word_char(needle[0]), _is_word_char(needle[-1])
    start = haystack.find(needle)
    while start != -1:
        end = start + len(needle)
        if (not check_start or start == 0 or not _is_word_char(haystack[start - 1])) and (
            not check_end or end == last or not _is_word_char(haystack[end])
        ):
            return True
        start = haystack.find(needle, start + 1)
    return False


def find_banned_phrases(reply: str, banned_phrases: Iterable[str]) -> list[str]:
    """The banned phrases that occur in `reply` (see the module docstring), as written in the spec,
    in input order.

    A phrase listed twice (in any casing or spacing) is reported once, spelled as its first
    occurrence. Blank phrases are ignored: they would match every reply.
    """
    haystack = normalize_for_matching(reply)
    hits: list[str] = []
    seen: set[str] = set()
    for phrase in banned_phrases:
        needle = normalize_for_matching(phrase)
        if needle and needle not in seen and occurs(needle, haystack):
            hits.append(phrase)
        seen.add(needle)
    return hits


class _Phrase(NamedTuple):  # a tuple: many of these are unpickled with every compiled spec
    phrase: str  # as written in the spec
    needle: str  # normalised; "" (a blank phrase) is never matched
    words: frozenset[str]  # a reply lacking any of these cannot contain the phrase


def prepare_phrases(phrases: Iterable[str], prepared: dict[str, _Phrase]) -> None:
    """Add the prepared form of each of `phrases` not in `prepared` yet, as `PhraseMatcher.of` would
    make it, lowercasing and blanking all ASCII phrases in one pass (a version's cold path prepares
    every banned phrase of the spec and of its modules)."""
    new = [phrase for phrase in dict.fromkeys(phrases) if phrase not in prepared]
    joined = "\n".join(new)
    if not joined.isascii():  # casefold() may change the length of non-ASCII text: no common offsets
        for phrase in new:
            needle = normalize_for_matching(phrase)
            prepared[phrase] = _Phrase(phrase, needle, frozenset(words_of(needle)))
        return
    lowered = joined.lower()  # casefold() of ASCII text
    blanked = lowered.translate(SEPARATORS_BUT_LINE_BREAKS)
    # Blanking before or after collapsing whitespace leaves the same words.
    for phrase, lowered_phrase, blanked_phrase in zip(new, split_joined(lowered, new), split_joined(blanked, new)):
        prepared[phrase] = _Phrase(phrase, " ".join(lowered_phrase.split()), frozenset(blanked_phrase.split()))


def split_joined(joined: str, texts: Sequence[str]) -> list[str]:
    """`joined`, made from `"\n".join(texts)` character by character (same length, line breaks
    kept, none added), cut back into one part per text: at its line breaks in one call when no text
    holds one (the usual case), else at the texts' offsets."""
    if joined.count("\n") == len(texts) - 1:
        return joined.split("\n")
    parts, start = [], 0
    for text in texts:
        end = start + len(text)
        parts.append(joined[start:end])
        start = end + 1
    return parts


@dataclass(frozen=True, slots=True)
class PhraseMatcher:
    """`find_banned_phrases` for a fixed list, prepared once: per reply, a phrase whose words are not
    all among the reply's words is ruled out by one set comparison, and only the rest are searched."""

    phrases: tuple[_Phrase, ...]

    @classmethod
    def of(cls, banned_phrases: Iterable[str], prepared: dict[str, _Phrase] | None = None) -> PhraseMatcher:
        """`prepared` (phrase -> its prepared form), shared by matchers built together, prepares each
        phrase once and lets them hold the same objects (which pickle stores once)."""
        return cls(_first_spellings(banned_phrases, {} if prepared is None else prepared, frozenset()))

    def extended(
        self, banned_phrases: Iterable[str], prepared: dict[str, _Phrase], own: Set[str] | None = None
    ) -> PhraseMatcher:
        """`PhraseMatcher.of([*self's phrases, *banned_phrases], prepared)` without redoing self's: every
        intent of a spec shares the spec's own phrases and adds only its modules' bans. `own`: the
        needles of self's phrases, when the caller extends self more than once."""
        if own is None:
            own = {entry.needle for entry in self.phrases}
        more = _first_spellings(banned_phrases, prepared, own)
        return PhraseMatcher(self.phrases + more) if more else self

    def __bool__(self) -> bool:
        return bool(self.phrases)

    def find(self, reply: str, reply_words: frozenset[str] | set[str]) -> list[str]:
        """`find_banned_phrases(reply, phrases)`, given the set of `words_of(reply.casefold())`."""
        candidates = [entry for entry in self.phrases if entry.words <= reply_words]
        if not candidates:
            return []
        normalized = normalize_for_matching(reply)
        return [entry.phrase for entry in candidates if occurs(entry.needle, normalized)]


def _first_spellings(phrases: Iterable[str], prepared: dict[str, _Phrase], skipped: Set[str]) -> tuple[_Phrase, ...]:
    """The prepared form of each of `phrases` (added to `prepared` when missing there) whose needle is
    neither blank nor one of `skipped`; of phrases with the same needle, the first only."""
    entries: dict[str, _Phrase] = {}  # needle -> its first spelling
    for phrase in phrases:
        entry = prepared.get(phrase)
        if entry is None:
            needle = normalize_for_matching(phrase)
            entry = prepared[phrase] = _Phrase(phrase, needle, frozenset(words_of(needle)))
        if entry.needle and entry.needle not in entries and entry.needle not in skipped:
            entries[entry.needle] = entry
    return tuple(entries.values())
