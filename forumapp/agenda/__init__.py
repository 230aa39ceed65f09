"""Agendas: the sessions of each forum day and the speakers who lead them."""
