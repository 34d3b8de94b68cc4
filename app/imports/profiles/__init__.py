"""Mapping profiles: how another system's export becomes partrack's rows, kept as data.

A ward does not choose the columns of the one-stop-shop system's export: it has "Mã hồ sơ",
"Ngày tiếp nhận" written ``03/10/2025 08:30``, "Trực tuyến" for a channel, domain *names* and the
applicant's name and phone, which partrack must never store. A profile says all of that once —
which column is which field, the date formats, how values map to our codes, which columns are
left out, what an absent column means — so the officer sends the file as the system gave it.

Profiles are rows an administrator edits in the browser or through the API; the ones partrack
ships live in ``profile_data/`` and show until someone saves an edited copy under the same code.
``Profile`` fulfils ``app.uploads.headers.RowProfile`` for the import runner.

The package: ``models`` (the table, the spec and its checks), ``mapping`` (a profile applied to
a file's headers and values), ``recognition`` (which profile a header row is), ``service``
(saving and reading them), ``previews`` (a sample file read through one) and ``api``.
"""
