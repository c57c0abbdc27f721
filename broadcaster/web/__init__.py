"""The LAN web console (SPEC §3 `web`): pages, accounts and sessions."""
