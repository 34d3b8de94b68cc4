"""Administration in the browser: the same service functions as the JSON API, as forms."""
