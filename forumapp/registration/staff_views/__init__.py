"""Organizer pages for registrations, under /staff with the organizer role, and the project
manager's page for their own team's roster (reached from their personal link, /me/<token>/…,
and a 404 to anyone who is not a project manager of that team, so it reveals nothing).

Its pages are grouped by what they are about: the forum's registrations as a
whole (``forum_pages``), one person's registration (``registration_pages``), and team rosters
(``roster_pages``).
"""

# The page modules add their routes to the feature's blueprint (``registration.blueprint``).
from . import forum_pages, registration_pages, roster_pages  # noqa: F401
