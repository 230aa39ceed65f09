"""Check-in at the door: tickets with QR codes, scans, lookup, walk-ins, badges and counts."""
