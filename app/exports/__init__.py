"""Exports: any list as CSV or Excel. ``datasets`` is the registry (name → columns, title,
rows), ``writers`` writes the files, ``service`` spools one, ``api`` serves it."""
