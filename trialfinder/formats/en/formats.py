# English dates as a parent reads them, day first and the month in full: 25 April 2026.
# Korean and Chinese keep Django's own long forms (2026년 4월 25일, 2026年4月25日).
DATE_FORMAT = "j F Y"
YEAR_MONTH_FORMAT = "F Y"
MONTH_DAY_FORMAT = "j F"
DATETIME_FORMAT = "j F Y, H:i"
