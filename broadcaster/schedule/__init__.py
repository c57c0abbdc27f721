"""When things air: the timing rules of SPEC §6 (pure functions) and the slot triggers."""
