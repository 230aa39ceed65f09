"""Registration: public open days, team-only days, breakout picks, waitlists and rosters."""
