"""Fault and safety proofs against the sandbox: `python -m tests.faults.report` (make faults), the
fault matrix with SIGKILLed applies (harness.py, test_faults.py), journal resume (test_journal.py),
concurrent applies (test_concurrent.py) and a hostile API through the CLI (test_hostile.py, proxy.py)."""
