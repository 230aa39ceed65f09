"""Messages to a group: an organizer writes once to an audience (days, sessions, teams,
roles, statuses) and each person gets their own copy through the outbox."""
