"""Privacy requests: everything held about a person, and erasing a person.

A top-level feature beside ``cli.py``: it reaches every feature's records of a person.
"""
