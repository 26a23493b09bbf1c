"""``python -m ecsdeploy`` runs the command line."""

from ecsdeploy.cli.app import main

main()
