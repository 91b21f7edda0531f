"""yitaotu."""
