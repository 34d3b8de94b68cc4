"""A unit's report for a period as a record (draft → submitted → approved / returned) and the
period lock it implies: below the readings and progress, which ask the lock before they write,
and below the reporting cycle, which moves reports and lists them."""
