"""Reading submissions from the files people have (I/O at the edge)."""

from .reader import Submission, read_submission

__all__ = ["Submission", "read_submission"]
