"""The ecsdeploy benchmark (``make bench``): a script, not part of the test suite."""
