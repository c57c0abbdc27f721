"""Imported first by the command line: the operator's language is set before any help
text or message is built (see `broadcaster.i18n`)."""

import sys

from broadcaster.i18n import startup_language

startup_language(sys.argv)
