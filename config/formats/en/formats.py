"""One way to print a moment everywhere in the admin and the pages: "2026-11-25 14:05" (24-hour, ISO
order), as the governance pages' `compact_time` does, instead of English's "Nov. 25, 2026, 2:05 p.m."."""

DATE_FORMAT = "Y-m-d"
SHORT_DATE_FORMAT = "Y-m-d"
TIME_FORMAT = "H:i"
DATETIME_FORMAT = "Y-m-d H:i"
SHORT_DATETIME_FORMAT = "Y-m-d H:i"
