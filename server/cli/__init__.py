"""The ``simrooms`` command line (``main``) and its subcommands."""
