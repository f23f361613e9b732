"""One module per resource and dialect; each exports its `routes`."""
