"""Qt models: thin adapters over tuples of frozen dataclasses, driven by column specs."""
