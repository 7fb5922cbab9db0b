"""The command line: parse arguments, call the stages, hand results to report."""
