"""Evidence intake: ledger definitions, value parsing and package loading."""
