"""Writers that produce statement files from BankLines, for property tests and benchmarks."""
