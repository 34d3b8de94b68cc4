"""partrack: the ward's administrative-reform plan, its targets and its reports, as data."""
