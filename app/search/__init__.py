"""Finding images: the library's full-text syntax and the search API's query formula."""
