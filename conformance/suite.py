"""What ``pytest --syncwright-conformance`` collects: every declared subject, every check."""

from conformance.factory import conformance_tests

TestConformance = conformance_tests()
