"""SIPAS: the citizens' satisfaction survey at the service centre, and the satisfaction index."""
