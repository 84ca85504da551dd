"""One module per ``babelvlm build`` command; each registers itself on ``babelvlm.builders.cli.app``."""
