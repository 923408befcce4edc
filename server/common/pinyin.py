"""A name's pinyin initials, so a liaison finds 张国强 by typing zgq.

Computed on the server (pypinyin's dictionary is several megabytes, too much for a
phone) and sent with the record. A character with more than one reading counts by
its most common one; a letter or digit in a name is kept as it is, other signs are
dropped.
"""

from functools import lru_cache

MAX_LENGTH = 40


# Names repeat (a county's roster of 118,000 has many a 王秀英), and pypinyin's lookup
# was a tenth of an import's time: each name is worked out once per process.
@lru_cache(maxsize=65_536)
def name_initials(name):
    """"张国强" -> "zgq"; None for no name."""
    if not name:
        return None
    # imported on first use: its phrase dictionary is half a second of every process's
    # start (the scheduler's jobs, the CLI), and most never need it
    from pypinyin import Style, lazy_pinyin

    letters = lazy_pinyin(name, style=Style.FIRST_LETTER, errors=lambda text: list(text))
    initials = "".join(part[:1] for part in letters if part[:1].isalnum()).lower()
    return initials[:MAX_LENGTH] or None
