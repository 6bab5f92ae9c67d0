"""A ``YYYY-MM-DD`` text as a calendar date, or a message that says why it is none."""

from __future__ import annotations

from datetime import date

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")  # fmt: skip


def check_calendar_date(text: str) -> date:
    """``YYYY-MM-DD`` as a date; a ``ValueError`` saying why it is none (``2024-02-30``:
    "February has 29 days in 2024")."""
    year, month, day = (int(p) for p in text.split("-"))
    try:
        return date(year, month, day)
    except ValueError:
        pass
    if not 1 <= month <= 12:
        why = f"there is no month {month}"
    elif day == 0:
        why = "days start at 01"
    else:
        first_of_next = date(year + month // 12, month % 12 + 1, 1) if year < 9999 else None
        days = (first_of_next - date(year, month, 1)).days if first_of_next else 31
        why = f"{MONTHS[month - 1]} has {days} days in {year}"
    raise ValueError(f"'{text}' is not a calendar date ({why})")
