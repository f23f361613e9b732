"""Finding images: the library's full-text syntax (and later the search API's query formula)."""
