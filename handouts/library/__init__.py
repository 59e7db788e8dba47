"""The clinic's data files: reading and checking the TOML, searching it, adding pictures."""
