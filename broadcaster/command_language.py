"""Imported first by the command line: the operator's language is set before any help
text or message is built (see `broadcaster.i18n`), and Typer's own words in a help page
(its section names, `default:`, `required`) go through the same catalog."""

import sys

import typer.core

from broadcaster.i18n import N_, _, startup_language

# What Typer itself writes on a help page or a usage error (typer/core.py asks gettext).
TYPER_WORDS = (N_("Arguments"), N_("Options"), N_("Commands"), N_("default: {default}"),
               N_("required"), N_("Missing command."), N_("No such command {name!r}."),
               N_("Aborted!"), N_("(dynamic)"), N_("env var: {var}"))

startup_language(sys.argv)
# Typer imports gettext.gettext as `_` (a module global, not exported): the catalog answers
# instead, so the system LANG does not choose the language of a help page.
typer.core._ = _  # type: ignore[attr-defined]
