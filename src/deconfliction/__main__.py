"""``python -m deconfliction`` is the ``deconfliction`` command."""

from deconfliction.cli.main import app

app(prog_name="deconfliction")
