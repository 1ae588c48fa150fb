"""Policy Library domain: models, store, services, configuration and the command line."""
