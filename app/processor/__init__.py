"""The image processor: fetch a source, decode it safely, store the original, its versions and data."""
