"""The atlas's words: the most frequent English words (wordfreq), minus stop words, non-words, profanity and slurs.

The rule, stated once here and on the atlas's page (``RULE``):

* the most frequent words of English in the ``wordfreq`` package (a blend of subtitles, Wikipedia, books,
  news, web text and social media), in its order;
* letters a-z only, at least three of them: no numbers, no contractions, no two-letter abbreviations;
* not one of scikit-learn's 318 English stop words (*the*, *which*, *would*...), which would crowd the map
  with words that carry little meaning of their own;
* not offensive: not on the word list of the ``better-profanity`` package (slurs and swear words, and
  also ordinary words with a rude second sense, which we accept to lose), nor the plural of a word on it;
  and not on the book's own short list of slurs that package misses (``data/atlas_blocklist.txt``, kept as
  SHA-256 hashes so that the repository never spells them out).
"""

from __future__ import annotations

import hashlib
from functools import cache
from importlib.resources import files

from explainer.infra.bookdata import load_words

SIZE = 20_000
MIN_LETTERS = 3
RULE = (
    "the most frequent English words in the wordfreq package, in its order, keeping only words of at least "
    f"{MIN_LETTERS} letters a–z, leaving out scikit-learn's {{stop}} English stop words and every word on "
    "better-profanity's list (and their plurals), plus a short list of slurs that list misses"
)


def digest(word: str) -> str:
    """The SHA-256 of a lowercase word, as the blocklist stores it."""
    return hashlib.sha256(word.lower().encode()).hexdigest()


@cache
def stop_words() -> frozenset[str]:
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return frozenset(ENGLISH_STOP_WORDS)


@cache
def profanity_list() -> frozenset[str]:
    """The single words on better-profanity's list (its phrases are pairs of words that stay harmless alone)."""
    text = files("better_profanity").joinpath("profanity_wordlist.txt").read_text(encoding="utf-8")
    return frozenset(line.strip().lower() for line in text.splitlines() if line.strip() and " " not in line.strip())


@cache
def blocklist() -> frozenset[str]:
    """SHA-256 hashes of the slurs the book adds to better-profanity's list."""
    return frozenset(load_words("atlas_blocklist"))


def singular_forms(word: str) -> set[str]:
    """The word and what it would be without an English plural ending (-s; -es after s, x, z, ch, sh, o; -ies)."""
    forms = {word}
    if word.endswith("ies"):
        forms.add(word[:-3] + "y")
    if word.endswith("es") and word[:-2].endswith(("s", "x", "z", "ch", "sh", "o")):
        forms.add(word[:-2])
    if word.endswith("s"):
        forms.add(word[:-1])
    return forms


def is_offensive(word: str) -> bool:
    """True if the word, or its singular, is on better-profanity's list or the book's blocklist."""
    forms = singular_forms(word.lower())
    return bool(forms & profanity_list()) or any(digest(f) in blocklist() for f in forms)


def is_real_word(word: str) -> bool:
    """Letters a-z only (no digits, apostrophes or accents), at least MIN_LETTERS of them, not a stop word."""
    return len(word) >= MIN_LETTERS and word.isascii() and word.isalpha() and word not in stop_words()


def atlas_words(size: int = SIZE) -> list[str]:
    """The ``size`` most frequent English words that pass the rule, most frequent first."""
    from wordfreq import top_n_list

    words = [w for w in top_n_list("en", size * 2) if is_real_word(w) and not is_offensive(w)]
    if len(words) < size:
        raise ValueError(f"wordfreq gave only {len(words)} words that pass the rule; ask for fewer than {size}")
    return words[:size]


def recipe() -> dict:
    """What the word list depends on, without computing it (the atlas's cache key): sources, versions, rule."""
    from importlib.metadata import version

    packages = ("wordfreq", "better-profanity", "scikit-learn")
    return {
        "packages": {name: version(name) for name in packages},
        "blocklist": sorted(blocklist()),
        "size": SIZE,
        "min_letters": MIN_LETTERS,
    }


def rule() -> str:
    return RULE.format(stop=len(stop_words()))
