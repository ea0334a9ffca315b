"""Which language a text is written in, and whether a request names one.

A template that says "summarize the text" gets its answer in English from a small
model, whatever the text's language: the instruction is English, so the answer is.
Told "Write the summary in Korean." at the end of the prompt, the same model keeps
the material's language. So templates name the language outright, found here from
the text itself: by script for the languages that have their own (Hangul, kana,
Han, Cyrillic, ...), and by common function words for the Latin-script ones. When
neither is clear the answer is None and the prompt says "the same language as the
text" instead of guessing.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter

__all__ = ["detect_language", "names_language"]

# Script of a letter, from the first word of its Unicode name, for the scripts that
# identify a language (or, for Han, a family resolved below).
_SCRIPT_LANGUAGE = {
    "HANGUL": "Korean",
    "HIRAGANA": "Japanese",
    "KATAKANA": "Japanese",
    "CJK": "Chinese",
    "CYRILLIC": "Russian",
    "GREEK": "Greek",
    "ARABIC": "Arabic",
    "HEBREW": "Hebrew",
    "THAI": "Thai",
    "DEVANAGARI": "Hindi",
}

# Frequent function words, lower-case; a Latin-script text is assigned the language
# whose words it uses most, when that is clear.
_FUNCTION_WORDS = {
    "English": "the and of to in is that it for was with on as are be this have not you "
               "they at by from",
    "French": "le la les des est et une dans que pour qui pas sur au avec sont du ce il "
              "nous vous",
    "German": "der die das und ist nicht ein eine zu mit den von sich auf für auch dem "
              "wir sie",
    "Spanish": "el la los las y es en que una por con para del se no su al lo como más",
    "Portuguese": "o a os as e é em que um uma para com não do da dos das se por mais",
    "Italian": "il la le gli e è di che un una per con non del della sono si al più",
    "Dutch": "de het een en is van dat niet op te met voor zijn er ook wij aan",
}
_WORDS = {lang: set(words.split()) for lang, words in _FUNCTION_WORDS.items()}

# How a request may name a language: English names, native names and Korean names.
_NAMES = {
    "Korean": ("korean", "한국어", "한글", "조선어"),
    "English": ("english", "영어"),
    "Japanese": ("japanese", "日本語", "일본어"),
    "Chinese": ("chinese", "mandarin", "中文", "汉语", "중국어"),
    "Russian": ("russian", "русский", "러시아어"),
    "French": ("french", "français", "francais", "프랑스어"),
    "German": ("german", "deutsch", "독일어"),
    "Spanish": ("spanish", "español", "espanol", "스페인어"),
    "Portuguese": ("portuguese", "português", "포르투갈어"),
    "Italian": ("italian", "italiano", "이탈리아어"),
    "Dutch": ("dutch", "nederlands", "네덜란드어"),
    "Greek": ("greek", "ελληνικά", "그리스어"),
    "Arabic": ("arabic", "العربية", "아랍어"),
    "Hebrew": ("hebrew", "עברית", "히브리어"),
    "Thai": ("thai", "ไทย", "태국어"),
    "Hindi": ("hindi", "हिन्दी", "힌디어"),
    "Vietnamese": ("vietnamese", "tiếng việt", "베트남어"),
}
_WORD = re.compile(r"[^\W\d_]+")


def _script(char: str) -> str:
    try:
        return unicodedata.name(char).split(" ", 1)[0]
    except ValueError:
        return ""


def detect_language(text: str, sample: int = 4000) -> str | None:
    """The language most of ``text`` is written in (an English name such as "Korean"),
    or None when that is not clear. Looks at the first ``sample`` characters."""
    letters = [c for c in text[:sample] if c.isalpha()]
    if not letters:
        return None
    scripts = Counter(_script(c) for c in letters)
    native = Counter()
    for script, count in scripts.items():
        if script in _SCRIPT_LANGUAGE:
            native[_SCRIPT_LANGUAGE[script]] += count
    # Japanese mixes kana with Han characters; Han alone is Chinese.
    if native["Japanese"] and native["Chinese"]:
        native["Japanese"] += native.pop("Chinese")
    if native:
        language, count = native.most_common(1)[0]
        # Korean or Japanese prose often carries Latin names and terms: a third of the
        # letters in the script is enough, since a Latin text rarely has any.
        if count >= 0.3 * len(letters):
            return language
    if scripts["LATIN"] < 0.5 * len(letters):
        return None
    words = [w.lower() for w in _WORD.findall(text[:sample])]
    hits = Counter({lang: sum(w in vocab for w in words) for lang, vocab in _WORDS.items()})
    ranked = hits.most_common(2)
    best, best_hits = ranked[0]
    runner_up = ranked[1][1] if len(ranked) > 1 else 0
    if best_hits >= 2 and best_hits >= 1.5 * runner_up:
        return best
    return None


def names_language(request: str) -> str | None:
    """The language a request names ("in English", "한국어로"), if it names one."""
    lowered = request.lower()
    for language, names in _NAMES.items():
        for name in names:
            if name.isascii():
                if re.search(rf"\b{re.escape(name)}\b", lowered):
                    return language
            elif name in lowered:
                return language
    return None
