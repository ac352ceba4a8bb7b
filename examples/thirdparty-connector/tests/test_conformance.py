from syncwright_example_crm.conformance import subject

from conformance import conformance_tests

TestExampleCrm = conformance_tests(subject)
