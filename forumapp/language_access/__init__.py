"""Language access: interpreters (Spanish, ASL) and translated materials a person asks for
when registering, and the organizers' queue for arranging them before each day's booking
deadline."""
