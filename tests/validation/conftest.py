"""The fixture repositories are data, not tests: their test_*.py files must not be collected."""

collect_ignore_glob = ["fixtures/*"]
