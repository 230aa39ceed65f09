"""The attendee's pages through their personal link: the personal page and a forum's agenda as
they may see it.

The top feature: a page that combines the others is built here from one read model
(``page.py``), gathered from the plain functions of the features below, so its templates
run no query. Only the app factory imports it.
"""
