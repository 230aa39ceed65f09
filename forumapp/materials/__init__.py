"""Session and forum materials: uploaded files and links, each with a visibility (public,
registrants, teams, staff), stored on disk or in an S3-compatible bucket, served only through
a view that checks who may see them."""
