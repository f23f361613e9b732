"""Archives: ZIPs of many images, built by the `archive` operation and expired by the server."""
