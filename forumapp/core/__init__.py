"""Program, forums, days, rooms, teams, people and staff accounts; shared helpers."""
