"""Real SSH servers on loopback for the demo, the tests and the benchmarks.

Not a pipeline stage: a lab stands beside the pipeline and imports only
``model`` and ``wire`` (see docs/architecture.md for why it ships in the
package: the README's demo must start a legacy server without apt or root).
"""
