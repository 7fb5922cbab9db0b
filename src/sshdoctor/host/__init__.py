"""The workflows of one host, end to end: examine, fix, check, compat, and the server-side fix run on the server.

They sit after ``audit`` in the pipeline and before ``fleet`` (which runs them for many hosts).
"""
