"""An upload from receipt to commit, for any importer: receiving it under its limits
(``limits``), reading CSV, JSON and workbooks row by row (``files``, ``dialects``, ``jsonfile``,
``sheet``/``xlsx``, ``headers``, ``cells``), and the runner that checks and writes a file in
chunks in one transaction (``bulk``, ``source``, ``duplicates``, ``batches``), with the report of
a refused file (``errors_report``). Which importers exist, and their routes, are ``app/imports``.
"""
