"""One date and one date-time format per language (docs/ui.md, "Dates and times").

``settings.FORMAT_MODULE_PATH`` points here, so every ``{{ value }}`` of a
date-time, every ``|date:"DATE_FORMAT"`` / ``"DATETIME_FORMAT"`` and their
SHORT_ twins, and ``formats.date_format`` in code render the same way:

- Japanese: 2026年4月1日 and 2026年4月1日 09:30
- English:  1 Apr 2026 and 1 Apr 2026, 09:30

24-hour time in both, no weekday, the server's time zone (``CRM_TIME_ZONE``);
emails add the zone (``|with_zone``, core/templatetags/when.py). Machine
forms stay ISO 8601 (``<time datetime>``, CSV, the API: RFC 3339 in UTC), and
the audit trail shows seconds (``Y-m-d H:i:s``): it is evidence, read across
languages. Input formats are Django's.
"""
