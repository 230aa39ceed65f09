"""Calendar invitations (iMIP), downloads and feeds, kept up to date with the agenda."""
