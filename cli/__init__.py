"""lamp command line: Typer commands and renderers."""
