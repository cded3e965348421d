"""nurturekit: a referral-nurture system for small healthcare practices, run from files in git."""
__version__ = "0.1.0"
