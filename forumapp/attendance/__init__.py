"""Proof of attendance: entry and exit scans at any session's door, corrections from paper
sheets, credit types and credited minutes, certificates and their verification, sign-in sheets
and attendance exports."""
