"""One reader per file format; each turns raw bytes into an ``Extracted`` (see ``base``)."""
