"""The program's shared measures: forum by forum, team by team, across the program; the staff
page, its CSV, the printable funder report and the API's figures all come from ``figures``."""
