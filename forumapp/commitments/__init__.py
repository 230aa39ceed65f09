"""Commitments between forums: what each community team commits to do before the next
forum, its progress and follow-up mail."""
