"""The dossier and feedback feeds: raw records from the ward's other systems (TTHC dossiers,
citizens' feedback), upserted by code, from which partrack computes the plan's rates.

``models`` (tables), ``rows`` (a row read and checked), ``upsert`` and ``importer`` (a file
written, touched periods marked), ``counters`` (what is counted, in SQL and in Python side by
side), ``recompute`` (computed readings kept in line, units told), ``lists``, ``metrics``,
``scorecard`` (Decision 766), ``api`` and ``pages``.
"""
