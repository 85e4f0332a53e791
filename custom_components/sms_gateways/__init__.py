"""SMS Gateways."""
