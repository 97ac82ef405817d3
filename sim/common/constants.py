"""Calendar constants: the model's step is one week."""

WEEKS_PER_YEAR = 52.0
DAYS_PER_WEEK = 7.0
