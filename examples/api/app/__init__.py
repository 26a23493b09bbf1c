"""The example iris model API that ecsdeploy deploys (see app.main)."""
