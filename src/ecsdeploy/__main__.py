"""``python -m ecsdeploy`` runs the command line."""

from ecsdeploy.entry import main

main()
