"""The user documentation, shipped with the package so that `sshdoctor help TOPIC` reaches every install."""
