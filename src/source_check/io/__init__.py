"""Reading submissions from the files people have (I/O at the edge).

:func:`read_submission` is the entry point; :func:`with_read_checks` adds the named
``<field>.excel_damaged`` rules that report codes Excel turned into numbers.
"""

from .damage import with_read_checks
from .log import ReadEvent
from .reader import ColumnMap, Submission, read_submission

__all__ = ["ColumnMap", "ReadEvent", "Submission", "read_submission", "with_read_checks"]
